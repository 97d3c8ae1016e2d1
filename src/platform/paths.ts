import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The project root (the folder holding package.json). Resolved by walking up from this file so the same code finds
 * views, public files, locales and questionnaires both when run from `src/` with tsx and from `dist/src/` after tsc.
 */
function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);

export const paths = {
  root: PROJECT_ROOT,
  views: path.join(PROJECT_ROOT, 'views'),
  public: path.join(PROJECT_ROOT, 'public'),
  locales: path.join(PROJECT_ROOT, 'src', 'platform', 'i18n', 'locales'),
  questionnaires: path.join(PROJECT_ROOT, 'questionnaires'),
} as const;
