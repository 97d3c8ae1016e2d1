/**
 * Password hashing with Node's scrypt, which runs on libuv's thread pool: a burst of logins waits for the pool, not
 * on the event loop (bcryptjs, used before, computes in JavaScript and held the loop for about a second under ten
 * parallel logins; bench/login-burst.ts measures both).
 *
 * Parameters: N = 2^15, r = 8, p = 1 needs 32 MiB per hash and about 50–110 ms on this class of machine, OWASP's
 * recommended minimum for scrypt (N=2^17 at 128 MiB would need 512 MiB of memory for four logins at once). Hashes
 * are stored in the PHC string format, `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`, so the parameters travel with each hash:
 * raising them later keeps old hashes valid, and they are upgraded at the next successful login (as are the bcrypt
 * hashes written before this module existed).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import bcrypt from 'bcryptjs';

export interface ScryptCost {
  /** log2 of scrypt's N (CPU and memory cost). */
  log2N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

export const PASSWORD_HASHING: ScryptCost = { log2N: 15, r: 8, p: 1 };
/**
 * The same algorithm at a cost that keeps a test suite of hundreds of logins fast (NODE_ENV=test only, as Devise's
 * `stretches = 1` in Rails test environments).
 */
export const TEST_PASSWORD_HASHING: ScryptCost = { log2N: 10, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const BCRYPT = /^\$2[aby]\$\d{2}\$/;

/** The cost new hashes are made with: the test cost when the app runs its test suite, the real one otherwise. */
export function passwordHashingFor(config: { nodeEnv: string }): ScryptCost {
  return config.nodeEnv === 'test' ? TEST_PASSWORD_HASHING : PASSWORD_HASHING;
}

/**
 * Hashes run on the thread pool, but they still need cores: four pool threads hashing at once on a two-core machine
 * left the event loop a share of one core, and its delay grew with every login of a burst. At most one hash per core
 * but one runs at a time, so a core is always left for the event loop; the rest wait in line (per process: every app
 * in it shares the same cores).
 */
const HASH_SLOTS = Math.max(1, availableParallelism() - 1);
let busySlots = 0;
const waitingForSlot: Array<() => void> = [];

async function inHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (busySlots < HASH_SLOTS) busySlots += 1;
  else await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  try {
    return await work();
  } finally {
    // The slot passes straight to the next in line, so no newcomer can slip in between.
    const next = waitingForSlot.shift();
    if (next) next();
    else busySlots -= 1;
  }
}

function scryptAsync(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node refuses more than 32 MiB unless told, so allow exactly what the cost needs.
  const options: ScryptOptions = { N: 2 ** cost.log2N, r: cost.r, p: cost.p, maxmem: 128 * 2 ** cost.log2N * cost.r + 1024 * 1024 };
  return inHashSlot(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
      }),
  );
}

function encode(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '');
}

export async function hashPassword(password: string, cost: ScryptCost = PASSWORD_HASHING): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(password, salt, cost);
  return `$scrypt$ln=${cost.log2N},r=${cost.r},p=${cost.p}$${encode(salt)}$${encode(key)}`;
}

export interface PasswordCheck {
  matches: boolean;
  /** The stored hash is bcrypt or weaker than `target`: hash the password again now that it is known. */
  needsRehash: boolean;
}

function parseScrypt(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | undefined {
  const match = PHC.exec(stored);
  if (!match) return undefined;
  const [, log2N, r, p, salt, key] = match;
  return { cost: { log2N: Number(log2N), r: Number(r), p: Number(p) }, salt: Buffer.from(salt ?? '', 'base64'), key: Buffer.from(key ?? '', 'base64') };
}

function weakerThan(cost: ScryptCost, target: ScryptCost): boolean {
  return cost.log2N < target.log2N || cost.r < target.r || cost.p < target.p;
}

/** Compares in constant time; an unreadable hash never matches. */
export async function verifyPassword(password: string, stored: string, target: ScryptCost = PASSWORD_HASHING): Promise<PasswordCheck> {
  const parsed = parseScrypt(stored);
  if (parsed) {
    const key = await scryptAsync(password, parsed.salt, parsed.cost);
    const matches = key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
    return { matches, needsRehash: matches && weakerThan(parsed.cost, target) };
  }
  if (BCRYPT.test(stored)) {
    const matches = await bcrypt.compare(password, stored);
    return { matches, needsRehash: matches };
  }
  return { matches: false, needsRehash: false };
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * A hash of no one's password at `cost`, compared against when the email is unknown, so a wrong email costs exactly
 * what a wrong password costs (same algorithm, same parameters).
 */
export function dummyHash(cost: ScryptCost): Promise<string> {
  const key = `${cost.log2N}:${cost.r}:${cost.p}`;
  let hash = dummyHashes.get(key);
  if (!hash) {
    hash = hashPassword(randomBytes(16).toString('hex'), cost);
    dummyHashes.set(key, hash);
  }
  return hash;
}
