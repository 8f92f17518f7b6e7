// Tests run from dist/test/**; these resolve the repository's own files from there.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${start}`);
    dir = up;
  }
  return dir;
}

export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const cliPath = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const fixture = (...parts: string[]) => resolve(fixturesDir, ...parts);
