import { readFileSync } from 'node:fs';

// package.json sits two levels above dist/src/cli and src/cli alike.
const pkgUrl = new URL('../../package.json', import.meta.url);
const fallbackUrl = new URL('../../../package.json', import.meta.url);

function readVersion(): string {
  for (const url of [fallbackUrl, pkgUrl]) {
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'boxfep' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
