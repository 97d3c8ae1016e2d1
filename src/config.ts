/**
 * Configuration from the environment, validated once at start-up. A bad value stops start-up with a message naming
 * the variable; nothing else in the app reads `process.env`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const NODE_ENVS = ['development', 'production', 'test'] as const;
const MIN_SECRET_LENGTH = 32;

const envSchema = z.object({
  /** TCP port the HTTP server listens on (0 picks a free port). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Public address of the app, used in links sent by email (supplier links). Default http://localhost:PORT. */
  BASE_URL: z
    .url({ protocol: /^https?$/ })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  /** Connection string of a real MongoDB (include the database name). Unset → the embedded server in DATA_DIR/db. */
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  /** Folder for the embedded database, the mail outbox and the generated session secret. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** SMTP server for outgoing mail, e.g. smtp://user:pass@host:587. Unset → mails written to DATA_DIR/outbox. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, 'must start with smtp:// or smtps://')
    .optional(),
  /** Sender of every mail, e.g. `Region Demo <no-reply@region.example>`. Default: no-reply@ the BASE_URL's host. */
  MAIL_FROM: z
    .string()
    .trim()
    .max(320)
    .regex(/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/, 'must be an address, or a name and an <address>')
    .optional(),
  /** Secret signing session cookies and CSRF tokens, ≥ 32 characters. Required in production. */
  SESSION_SECRET: z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`).optional(),
  /** development | production | test. Production turns on secure cookies and HSTS and requires SESSION_SECRET. */
  NODE_ENV: z.enum(NODE_ENVS).default('development'),
  /** Minimum level of the JSON logs written to stdout. */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /**
   * How long (ms) an app instance may serve a supplier link's invitation and response from memory. Its own writes
   * show at once; another instance's writes and revocations after at most this long. 0 turns the cache off.
   */
  SUPPLIER_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
});

export type NodeEnv = (typeof NODE_ENVS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  baseUrl: string;
  /** undefined → the embedded server. */
  mongodbUri: string | undefined;
  /** Absolute path. */
  dataDir: string;
  /** undefined → mail stays in the outbox, readable in the in-app mailbox (not allowed in production). */
  smtpUrl: string | undefined;
  mailFrom: string;
  sessionSecret: string;
  nodeEnv: NodeEnv;
  isProduction: boolean;
  logLevel: LogLevel;
  /** 0 → every supplier request reads its link and response from the database. */
  supplierCacheMs: number;
}

/** Environment settings after validation, before the session secret is resolved. */
export type EnvSettings = Omit<Config, 'sessionSecret'> & { sessionSecret: string | undefined };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Empty variables count as unset, so `PORT= npm start` behaves like no PORT at all. */
function withoutEmptyValues(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const variable = issue.path.length > 0 ? String(issue.path[0]) : 'environment';
    return `${variable}: ${issue.message}`;
  });
}

/** Validates the environment without touching the file system. */
export function parseEnv(rawEnv: Env): EnvSettings {
  const env = withoutEmptyValues(rawEnv);
  const keys = Object.keys(envSchema.shape);
  const parsed = envSchema.safeParse(Object.fromEntries(keys.map((key) => [key, env[key]])));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const values = parsed.data;
  const isProduction = values.NODE_ENV === 'production';
  const productionProblems = [
    ...(isProduction && !values.SESSION_SECRET ? [`SESSION_SECRET: required in production (at least ${MIN_SECRET_LENGTH} characters)`] : []),
    ...(isProduction && !values.SMTP_URL ? ['SMTP_URL: required in production (without it no mail would reach anyone)'] : []),
  ];
  if (productionProblems.length > 0) throw new ConfigError(productionProblems);
  const baseUrl = values.BASE_URL ?? `http://localhost:${values.PORT}`;
  return {
    port: values.PORT,
    baseUrl,
    mongodbUri: values.MONGODB_URI,
    dataDir: path.resolve(values.DATA_DIR),
    smtpUrl: values.SMTP_URL,
    mailFrom: values.MAIL_FROM ?? defaultSender(baseUrl),
    sessionSecret: values.SESSION_SECRET,
    nodeEnv: values.NODE_ENV,
    isProduction,
    logLevel: values.LOG_LEVEL,
    supplierCacheMs: values.SUPPLIER_CACHE_MS,
  };
}

function defaultSender(baseUrl: string): string {
  const host = new URL(baseUrl).hostname;
  const domain = host.includes('.') ? host : 'localhost.localdomain';
  return `Supplier self-assessment <no-reply@${domain}>`;
}

/**
 * Outside production an unset SESSION_SECRET is generated once and kept in DATA_DIR, so sessions survive restarts
 * without anyone having to invent a secret for a local try-out.
 */
export function readOrCreateSessionSecret(dataDir: string): string {
  const file = path.join(dataDir, 'session-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= MIN_SECRET_LENGTH) return existing;
  } catch (error) {
    if (!isMissingFile(error)) throw error;
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

/** Reads and validates the configuration; call once, at start-up. */
export function loadConfig(env: Env = process.env): Config {
  const settings = parseEnv(env);
  const sessionSecret = settings.sessionSecret ?? readOrCreateSessionSecret(settings.dataDir);
  return { ...settings, sessionSecret };
}
