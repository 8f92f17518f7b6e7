// Child-process entry of a load generator (see generators.ts): runs a LocalGenerator on the commands
// its parent sends over IPC and answers with plain JSON (histograms travel base64-encoded).
import { LocalGenerator } from './generators.js';

const generator = new LocalGenerator();

function reply(message: object): void {
  process.send?.(message);
}

process.on('message', (m: { cmd: string; spec?: never }) => {
  const fail = (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) });
  if (m.cmd === 'connect') {
    generator.connect(m.spec!).then((connected) => reply({ connected }), fail);
  } else if (m.cmd === 'run') {
    generator.run(m.spec!, (progress) => reply({ progress })).then((result) => reply({ result }), fail);
  } else if (m.cmd === 'close') {
    void generator.close().then(() => {
      reply({ closed: true });
      process.disconnect();
    });
  }
});
// The parent went away: leave with it.
process.on('disconnect', () => {
  void generator.close().then(() => process.exit(0));
});
