import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseEnv, readOrCreateSessionSecret } from '../../src/config';

const SECRET = 'x'.repeat(32);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ssa-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('When nothing is set, then the documented defaults apply', () => {
    const settings = parseEnv({});
    assert.equal(settings.port, 3000);
    assert.equal(settings.baseUrl, 'http://localhost:3000');
    assert.equal(settings.mongodbUri, undefined);
    assert.equal(settings.dataDir, path.resolve('./data'));
    assert.equal(settings.smtpUrl, undefined);
    assert.equal(settings.nodeEnv, 'development');
    assert.equal(settings.isProduction, false);
    assert.equal(settings.logLevel, 'info');
  });

  it('When values are set, then they are parsed and BASE_URL loses its trailing slash', () => {
    const settings = parseEnv({
      PORT: '8080',
      BASE_URL: 'https://saq.example.org/',
      MONGODB_URI: 'mongodb://db.example:27017/ssa',
      DATA_DIR: dataDir,
      SMTP_URL: 'smtp://user:pw@mail.example:587',
      SESSION_SECRET: SECRET,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    });
    assert.equal(settings.port, 8080);
    assert.equal(settings.baseUrl, 'https://saq.example.org');
    assert.equal(settings.mongodbUri, 'mongodb://db.example:27017/ssa');
    assert.equal(settings.dataDir, dataDir);
    assert.equal(settings.smtpUrl, 'smtp://user:pw@mail.example:587');
    assert.equal(settings.isProduction, true);
    assert.equal(settings.logLevel, 'warn');
  });

  it('When PORT is left empty, then it counts as unset', () => {
    assert.equal(parseEnv({ PORT: '' }).port, 3000);
  });

  it('When SUPPLIER_CACHE_MS is unset or empty, then supplier links are cached for 5000 ms', () => {
    assert.equal(parseEnv({}).supplierCacheMs, 5_000);
    assert.equal(parseEnv({ SUPPLIER_CACHE_MS: '' }).supplierCacheMs, 5_000);
  });

  it('When SUPPLIER_CACHE_MS is 0 or at most 60000, then it is taken as given (0 turns the supplier caches off)', () => {
    assert.equal(parseEnv({ SUPPLIER_CACHE_MS: '0' }).supplierCacheMs, 0);
    assert.equal(parseEnv({ SUPPLIER_CACHE_MS: '250' }).supplierCacheMs, 250);
    assert.equal(parseEnv({ SUPPLIER_CACHE_MS: '60000' }).supplierCacheMs, 60_000);
  });

  it('When PORT is given without BASE_URL, then BASE_URL follows it', () => {
    assert.equal(parseEnv({ PORT: '4100' }).baseUrl, 'http://localhost:4100');
  });

  const badValues: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['BASE_URL', { BASE_URL: 'not a url' }],
    ['BASE_URL', { BASE_URL: 'ftp://files.example' }],
    ['MONGODB_URI', { MONGODB_URI: 'postgres://localhost/db' }],
    ['SMTP_URL', { SMTP_URL: 'mail.example.org' }],
    ['SESSION_SECRET', { SESSION_SECRET: 'short' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['SUPPLIER_CACHE_MS', { SUPPLIER_CACHE_MS: '-1' }],
    ['SUPPLIER_CACHE_MS', { SUPPLIER_CACHE_MS: 'abc' }],
    ['SUPPLIER_CACHE_MS', { SUPPLIER_CACHE_MS: '70000' }],
    ['SUPPLIER_CACHE_MS', { SUPPLIER_CACHE_MS: '2.5' }],
  ];
  for (const [variable, env] of badValues) {
    it(`When ${variable}=${Object.values(env)[0]}, then start-up stops with a message naming ${variable}`, () => {
      const problems = problemsOf(() => parseEnv(env));
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? '', new RegExp(`^${variable}: `));
    });
  }

  it('When several values are bad, then every one is named', () => {
    const problems = problemsOf(() => parseEnv({ PORT: '-1', LOG_LEVEL: 'loud' }));
    assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['LOG_LEVEL', 'PORT']);
  });

  it('When NODE_ENV=production without SESSION_SECRET and SMTP_URL, then start-up stops naming both', () => {
    const problems = problemsOf(() => parseEnv({ NODE_ENV: 'production' }));
    assert.match(problems[0] ?? '', /^SESSION_SECRET: required in production/);
    assert.match(problems[1] ?? '', /^SMTP_URL: required in production/);
  });

  it('When MAIL_FROM is unset, then mail comes from no-reply at the BASE_URL host; a bad MAIL_FROM is named', () => {
    assert.equal(parseEnv({ BASE_URL: 'https://saq.region.example' }).mailFrom, 'Supplier self-assessment <no-reply@saq.region.example>');
    assert.equal(parseEnv({ MAIL_FROM: 'Region Demo <inkop@region.example>' }).mailFrom, 'Region Demo <inkop@region.example>');
    assert.match(problemsOf(() => parseEnv({ MAIL_FROM: 'Evil\r\nBcc: x@y.example' }))[0] ?? '', /^MAIL_FROM: /);
  });

  it('When SESSION_SECRET is unset outside production, then one is generated once and kept in DATA_DIR', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = path.join(dataDir, 'session-secret');
    assert.ok(first.sessionSecret.length >= 32);
    assert.equal(readFileSync(file, 'utf8').trim(), first.sessionSecret);
    assert.equal(statSync(file).mode & 0o077, 0, 'the secret file is readable by its owner only');
    const second = loadConfig({ DATA_DIR: dataDir });
    assert.equal(second.sessionSecret, first.sessionSecret);
  });

  it('When SESSION_SECRET is set, then it is used and nothing is written', () => {
    const config = loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET });
    assert.equal(config.sessionSecret, SECRET);
    assert.throws(() => statSync(path.join(dataDir, 'session-secret')), /ENOENT/);
  });

  it('When the kept secret file is too short, then a new secret replaces it', () => {
    writeFileSync(path.join(dataDir, 'session-secret'), 'tiny\n');
    const secret = readOrCreateSessionSecret(dataDir);
    assert.ok(secret.length >= 32);
    assert.equal(readFileSync(path.join(dataDir, 'session-secret'), 'utf8').trim(), secret);
  });
});
