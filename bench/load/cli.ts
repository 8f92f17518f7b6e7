// `boxfep bench` behind the CLI entry (src/cli/commands/bench.ts): parse, run, print the summary,
// write the reports. Exit 0 when the SLO held, 1 when it did not (so CI can gate on it).
import { BENCH_HELP, BenchUsageError, parseBenchArgs } from './options.js';
import { pathsFor, writeReports } from './report/files.js';
import { textReport } from './report/text.js';
import { type BenchIO, runBench } from './session.js';

export { BenchUsageError } from './options.js';

export function consoleIO(stream: NodeJS.WriteStream = process.stderr): BenchIO {
  let live = false;
  return {
    line(text) {
      if (live) stream.write('\r\x1b[K');
      live = false;
      stream.write(`${text}\n`);
    },
    progress(text) {
      if (!stream.isTTY) {
        if (text) stream.write(`${text}\n`);
        return;
      }
      stream.write(`\r\x1b[K${text}`);
      live = text !== '';
    },
  };
}

export async function runBenchCommand(argv: string[], io: BenchIO = consoleIO()): Promise<number> {
  const options = parseBenchArgs(argv);
  if (options === undefined) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  // Ctrl-C: exit (the spawned boxfep and the generator processes are killed on the way out).
  const interrupt = () => process.exit(130);
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const result = await runBench(options, io, argv).finally(() => {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  });
  process.stdout.write(textReport(result.report));
  const written = writeReports(result, pathsFor(options.outDir, options));
  for (const f of written) io.line(`wrote ${f}`);
  return result.report.slo.pass ? 0 : 1;
}

export function isBenchUsageError(err: unknown): err is BenchUsageError {
  return err instanceof BenchUsageError;
}
