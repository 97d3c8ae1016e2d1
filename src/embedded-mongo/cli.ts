/**
 * `npm run db -- --port 27017 --dbpath ./data/db [--host 127.0.0.1] [--in-memory] [--setParameter enableTestCommands=1]
 * [--change-history-mb 256] [--change-history-hours 24]`
 * Runs the embedded server in the foreground until SIGINT/SIGTERM, then closes it cleanly.
 */
import { startMongoServer, type ChangeHistoryOptions, type Logger } from './index';

interface CliOptions {
  host: string;
  port: number;
  dbPath?: string;
  inMemory: boolean;
  enableTestCommands: boolean;
  changeHistory?: ChangeHistoryOptions;
}

const USAGE =
  'usage: npm run db -- [--host 127.0.0.1] [--port 27017] (--dbpath ./data/db | --in-memory) [--setParameter enableTestCommands=1] [--change-history-mb 256] [--change-history-hours 24]';

/** A non-negative decimal number given to `flag`. */
function amount(flag: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value)) throw new Error(`${flag} must be a number >= 0, got '${raw}'`);
  return value;
}

/** mongod's `--setParameter name=value`; only enableTestCommands (fail points for tests) exists here. */
function parseSetParameter(setting: string, options: CliOptions): void {
  const [name, value] = setting.split('=', 2);
  if (name !== 'enableTestCommands') throw new Error(`--setParameter: unknown parameter '${name}' (only enableTestCommands is supported)`);
  if (!['1', 'true', '0', 'false'].includes(value ?? '')) throw new Error(`--setParameter enableTestCommands must be 1, true, 0 or false, got '${value ?? ''}'`);
  options.enableTestCommands = value === '1' || value === 'true';
}

export function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { host: '127.0.0.1', port: 27017, inMemory: false, enableTestCommands: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const raw = value();
        const port = Number(raw);
        if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`--port must be an integer between 0 and 65535, got '${raw}'`);
        options.port = port;
        break;
      }
      case '--host':
      case '--bind_ip':
        options.host = value();
        break;
      case '--dbpath':
        options.dbPath = value();
        break;
      case '--in-memory':
        options.inMemory = true;
        break;
      case '--change-history-mb':
        options.changeHistory = { ...options.changeHistory, maxBytes: Math.round(amount(flag, value()) * 1024 * 1024) };
        break;
      case '--change-history-hours':
        options.changeHistory = { ...options.changeHistory, maxAgeSeconds: amount(flag, value()) * 3600 };
        break;
      case '--setParameter':
        parseSetParameter(value(), options);
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument '${arg}'`);
    }
  }
  if (options.inMemory && options.dbPath) throw new Error('--in-memory and --dbpath exclude each other');
  if (!options.inMemory && !options.dbPath) options.dbPath = './data/db';
  return options;
}

function consoleLogger(): Logger {
  const line = (level: string) => (obj: object, msg?: string): void => {
    const details = Object.keys(obj).length ? ` ${JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.message : v))}` : '';
    process.stderr.write(`${new Date().toISOString()} ${level} ${msg ?? ''}${details}\n`);
  };
  return { debug: () => {}, info: line('INFO'), warn: line('WARN'), error: line('ERROR') };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  }
  const logger = consoleLogger();
  const server = await startMongoServer({ ...options, logger });
  process.stdout.write(`embedded MongoDB listening at ${server.uri}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
