// `boxfep bench`: the load-test harness (bench/load). This entry only loads it and maps its usage
// errors to the CLI's; see `boxfep bench --help` and docs/performance.md.
import { UsageError } from '../usage-error.js';

export async function run(argv: string[]): Promise<number> {
  const { runBenchCommand, BenchUsageError } = await import('../../../bench/load/cli.js');
  try {
    return await runBenchCommand(argv);
  } catch (err) {
    if (err instanceof BenchUsageError) throw new UsageError(err.message);
    throw err;
  }
}
