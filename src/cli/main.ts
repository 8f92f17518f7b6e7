#!/usr/bin/env node
// boxfep command-line entry point. Each subcommand lives in ./commands/<name>.ts and exports
// `run(argv)`; the dispatcher loads only the one asked for, so `boxfep decode` never pays for
// the server's imports.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './usage-error.js';
import { VERSION } from './version.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function availableCommands(): string[] {
  if (!existsSync(commandsDir)) return [];
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function usage(): string {
  return `boxfep ${VERSION}\nusage: boxfep <command> [options]\ncommands: ${availableCommands().join(', ')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !availableCommands().includes(name)) {
    process.stderr.write(`boxfep: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  const mod = (await import(`./commands/${name}.js`)) as { run(args: string[]): Promise<number> };
  try {
    return await mod.run(rest);
  } catch (err) {
    // A usage or input error is one clear line, never a stack trace.
    if (err instanceof UsageError) {
      process.stderr.write(`boxfep ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`boxfep: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
