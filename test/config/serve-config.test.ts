import t from 'tap';
import { DEFAULTS, parseListenerSpec, resolveServeConfig } from '../../src/config/serve-config.js';

t.test('defaults', async (t) => {
  const c = resolveServeConfig({ flags: {}, env: {} });
  t.equal(c.boxPort, 5800);
  t.equal(c.adminPort, 9464);
  t.equal(c.notifyPort, 8088);
  t.equal(c.store, 'memory');
  t.equal(c.payDeadlineMs, 45_000);
  t.same(c, DEFAULTS);
});

t.test('flags beat environment beats file beats defaults', async (t) => {
  const dir = t.testdir({
    'boxfep.json': JSON.stringify({
      'box-port': 1111,
      adminPort: 2222,
      'notify-port': 3333,
      store: 'redis://file:6379',
    }),
  });
  const c = resolveServeConfig({
    flags: { 'box-port': '4444' },
    env: { BOXFEP_BOX_PORT: '5555', BOXFEP_ADMIN_PORT: '6666' },
    file: `${dir}/boxfep.json`,
  });
  t.equal(c.boxPort, 4444, 'flag');
  t.equal(c.adminPort, 6666, 'env');
  t.equal(c.notifyPort, 3333, 'file');
  t.equal(c.store, 'redis://file:6379', 'file');
  t.equal(c.payDeadlineMs, 45_000, 'default');
});

t.test('the key cache size: flag, environment, default, bounds', async (t) => {
  t.equal(resolveServeConfig({ flags: {}, env: {} }).keyCacheSize, 32_768);
  t.equal(resolveServeConfig({ flags: {}, env: { BOXFEP_KEY_CACHE_SIZE: '50000' } }).keyCacheSize, 50_000);
  t.equal(
    resolveServeConfig({ flags: { 'key-cache-size': '1000' }, env: { BOXFEP_KEY_CACHE_SIZE: '50000' } }).keyCacheSize,
    1000,
  );
  t.throws(() => resolveServeConfig({ flags: { 'key-cache-size': '0' }, env: {} }), /key-cache-size/);
});

t.test('extra listeners from flags, env and file', async (t) => {
  t.same(parseListenerSpec('port=5801,length=ascii4,tpdu=false,header=false,name=vendor', 'x'), {
    port: 5801,
    length: 'ascii4',
    tpdu: false,
    header: false,
    name: 'vendor',
  });
  const env = resolveServeConfig({ flags: {}, env: { BOXFEP_LISTENER: 'port=1;port=2,tpdu=false' } });
  t.same(
    env.listeners.map((l) => [l.port, l.tpdu]),
    [
      [1, true],
      [2, false],
    ],
  );
  const dir = t.testdir({ 'c.json': JSON.stringify({ listeners: [{ port: 7, length: 'ascii4' }] }) });
  t.equal(resolveServeConfig({ flags: {}, env: {}, file: `${dir}/c.json` }).listeners[0].length, 'ascii4');
});

t.test('bad values name their origin', async (t) => {
  t.throws(() => resolveServeConfig({ flags: { 'box-port': 'x' }, env: {} }), /--box-port: expected an integer/);
  t.throws(
    () => resolveServeConfig({ flags: {}, env: { BOXFEP_ADMIN_PORT: '70000' } }),
    /BOXFEP_ADMIN_PORT: 70000 is above/,
  );
  t.throws(() => resolveServeConfig({ flags: { crypto: 'gpu' }, env: {} }), /must be one of pool, inline/);
  t.throws(() => parseListenerSpec('length=ascii4', 'L'), /port is required/);
  t.throws(() => parseListenerSpec('port=1,colour=red', 'L'), /unknown listener key/);
  const dir = t.testdir({ 'bad.json': '{"nope": 1}', 'broken.json': '{' });
  t.throws(() => resolveServeConfig({ flags: {}, env: {}, file: `${dir}/bad.json` }), /unknown setting 'nope'/);
  t.throws(() => resolveServeConfig({ flags: {}, env: {}, file: `${dir}/broken.json` }), /not valid JSON/);
  t.throws(() => resolveServeConfig({ flags: {}, env: {}, file: `${dir}/none.json` }), /cannot read config file/);
});
