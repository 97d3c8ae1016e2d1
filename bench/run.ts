/** `npm run bench`: runs every benchmark in bench/ (each `*.ts` file except this one), one after another. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const benchDir = __dirname;
const self = path.basename(__filename);
const files = readdirSync(benchDir)
  // Hidden files are someone's scratch work, not benchmarks.
  .filter((name) => name.endsWith('.ts') && name !== self && !name.endsWith('.d.ts') && !name.startsWith('.'))
  .sort();

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`${file} failed (exit ${result.status ?? result.signal})\n`);
  }
}
process.exitCode = failed ? 1 : 0;
