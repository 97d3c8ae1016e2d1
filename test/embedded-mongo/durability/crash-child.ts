/**
 * Child process of the crash test: runs the server on the data directory given as argv[2] with small checkpoint
 * thresholds (so kills also land during checkpoints) and prints `READY <uri>` once it listens. It is killed with
 * SIGKILL; it never shuts down on its own.
 */
import { startHarnessServer } from './harness';

async function main(): Promise<void> {
  const dbPath = process.argv[2];
  if (!dbPath) throw new Error('usage: crash-child.ts <dbPath>');
  const server = await startHarnessServer({ dbPath, durable: { checkpointBytes: 64 * 1024, checkpointIntervalMs: 150 } });
  process.stdout.write(`READY ${server.uri} ${JSON.stringify(server.persistence?.lastRecovery ?? null)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
