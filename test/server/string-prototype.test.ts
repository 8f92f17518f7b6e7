// String.prototype made fast again after ioredis's `class extends String` (in a child process: the
// check needs --allow-natives-syntax).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const helper = fileURLToPath(new URL('../../src/server/string-prototype.js', import.meta.url));

t.test('after ioredis is loaded String.prototype is slow until restoreFastStringPrototype runs', async (t) => {
  const script = `
    await import('ioredis');
    const before = %HasFastProperties(String.prototype);
    const { restoreFastStringPrototype } = await import(${JSON.stringify(helper)});
    restoreFastStringPrototype();
    console.log(JSON.stringify({ before, after: %HasFastProperties(String.prototype), s: 'ab'.charCodeAt(1) }));
  `;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  const r = JSON.parse(out);
  t.equal(r.before, false, 'ioredis left String.prototype in dictionary mode');
  t.equal(r.after, true, 'fast again');
  t.equal(r.s, 98, 'strings work as before');
});

t.test('the box server restores it when it starts', async (t) => {
  const server = fileURLToPath(new URL('../../src/server/box-server.js', import.meta.url));
  const script = `
    await import('ioredis');
    const { BoxServer } = await import(${JSON.stringify(server)});
    const before = %HasFastProperties(String.prototype);
    const s = new BoxServer({ listeners: [{ port: 0, host: '127.0.0.1' }], handler: { handleFrame: async () => {} } });
    await s.start();
    const after = %HasFastProperties(String.prototype);
    await s.stop(10);
    console.log(JSON.stringify({ before, after }));
  `;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  t.same(JSON.parse(out), { before: false, after: true });
});
