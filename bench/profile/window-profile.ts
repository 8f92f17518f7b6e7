// A CPU or sampling heap profile of one measured window of an in-process bench (sale-inprocess,
// precreate-inprocess): started just before the window, written as NAME.cpuprofile or
// NAME[-survivors].heapprofile when it ends. `survivors` leaves out what a scavenge collected: the
// bytes that lived through at least one scavenge.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export type ProfileMode = 'cpu' | 'heap' | 'survivors' | 'none';

export class WindowProfile {
  private constructor(
    private readonly session: Session,
    private readonly mode: ProfileMode,
  ) {}

  static async start(mode: ProfileMode): Promise<WindowProfile> {
    const session = new Session();
    session.connect();
    if (mode === 'heap' || mode === 'survivors') {
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: mode === 'heap',
      });
    } else if (mode === 'cpu') {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    }
    return new WindowProfile(session, mode);
  }

  /** Stops the profile and writes it into `outDir`; the file written, or '' for `none`. */
  async stop(outDir: string, name: string): Promise<string> {
    const { session, mode } = this;
    mkdirSync(outDir, { recursive: true });
    let written = '';
    if (mode === 'heap' || mode === 'survivors') {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      written = join(outDir, `${name}${mode === 'survivors' ? '-survivors' : ''}.heapprofile`);
      writeFileSync(written, JSON.stringify(profile));
    } else if (mode === 'cpu') {
      const { profile } = await session.post('Profiler.stop');
      written = join(outDir, `${name}.cpuprofile`);
      writeFileSync(written, JSON.stringify(profile));
    }
    session.disconnect();
    return written;
  }
}
