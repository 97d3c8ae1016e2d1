/**
 * Child process of the lock tests: takes the data directory lock of argv[2] (argv[3] `file`: the record lock, as on
 * a platform without the OS lock), prints `LOCKED <kind>` and holds it until killed, or prints `REFUSED <message>`
 * and exits 3.
 */
import { acquireLock } from '../../../src/embedded-mongo/storage/durable/lock-file';

async function main(): Promise<void> {
  const [dir, mode] = process.argv.slice(2);
  if (!dir || (mode !== 'os' && mode !== 'file')) throw new Error('usage: lock-child.ts <dir> os|file');
  try {
    const lock = await acquireLock(dir, { osLock: mode === 'os' });
    process.stdout.write(`LOCKED ${lock.kind}\n`);
    setInterval(() => undefined, 60_000);
  } catch (err) {
    process.stdout.write(`REFUSED ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(3);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`lock-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
