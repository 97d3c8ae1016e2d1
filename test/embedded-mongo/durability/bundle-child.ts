/**
 * Child processes of the durability tests run bundled (esbuild comes with tsx): starting one under tsx costs
 * seconds, over and over in a restart loop.
 */
import path from 'node:path';
import { buildSync } from 'esbuild';

/**
 * Packages the bundle loads from node_modules: the driver, and the OS file lock's native addon, which finds its
 * prebuilt binary next to its own files (bundled, it would not, and the server would fall back to the record lock).
 */
const EXTERNAL = ['mongodb', 'fs-native-extensions'];
const NODE_MODULES = path.resolve(__dirname, '..', '..', '..', 'node_modules');

/** Bundles `entry` into `outDir`; returns the script to run with `process.execPath` and `childEnv()`. */
export function bundleChild(entry: string, outDir: string): string {
  const outfile = path.join(outDir, `${path.basename(entry, path.extname(entry))}.js`);
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', outfile, external: EXTERNAL, logLevel: 'error' });
  return outfile;
}

/** The environment a bundled child needs: the bundle lives in a temp directory, its externals in the project. */
export function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_PATH: NODE_MODULES };
}
