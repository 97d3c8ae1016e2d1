// `npm start` runs this first: it compiles the TypeScript into dist/ unless dist/ was compiled from exactly the
// sources there are now. A fingerprint of every input (the contents of src/, the tsconfig files and the lockfile)
// is kept beside the output; when it matches, the start skips the build, which took most of the start-up time.
// When it does not (a source changed, was added, removed or renamed), tsc builds incrementally (tsconfig.build.json
// keeps its build-info file in dist/), so only what changed is compiled again.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stampFile = path.join(dist, '.build-fingerprint');
const entryPoint = path.join(dist, 'src', 'server.js');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** Every file under `relative` (a file itself when it is one), as paths relative to the project root. */
function filesUnder(relative) {
  const absolute = path.join(root, relative);
  if (!existsSync(absolute)) return [];
  if (!statSync(absolute).isDirectory()) return [relative];
  return readdirSync(absolute).flatMap((name) => filesUnder(path.join(relative, name)));
}

function fingerprint() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(filesUnder).sort()) {
    hash.update(file.split(path.sep).join('/')).update('\0').update(readFileSync(path.join(root, file))).update('\0');
  }
  return hash.digest('hex');
}

const started = Date.now();
const current = fingerprint();
const previous = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (previous === current && existsSync(entryPoint)) {
  process.stdout.write(`dist/ is up to date with the sources (checked in ${Date.now() - started} ms)\n`);
  process.exit(0);
}

process.stdout.write('Compiling the TypeScript into dist/ …\n');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(dist, { recursive: true });
writeFileSync(stampFile, `${current}\n`);
process.stdout.write(`Compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
