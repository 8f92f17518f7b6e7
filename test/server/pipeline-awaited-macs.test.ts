// The pipeline with a crypto service that makes every MAC elsewhere (as the worker pool does for
// keys it cannot use on the event loop): the request's MAC verified and the reply's MAC made after an
// await give the answers the immediate path gives: a MACed reply the box verifies, A0 for a bad MAC,
// the run of bad MACs ended by a good one, an echo without a MAC, and 96 for a handler that fails.
import t from 'tap';
import { Box } from '../../src/box/box.js';
import { type CryptoService, createCryptoService } from '../../src/crypto/service.js';
import { RC } from '../../src/flows/response-codes.js';
import type { Dispatcher } from '../../src/server/dispatcher.js';
import { MID, sessionTerminal, startHarness, TEST_LMK, TMK } from './helpers/harness.js';

/** The inline service without its immediate MACs: the pipeline and writer must await each MAC. */
function macsElsewhere(inner: CryptoService): { crypto: CryptoService; verified: () => number } {
  let verified = 0;
  const crypto = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'generateMacNow' || prop === 'verifyMacNow') return undefined;
      if (prop === 'verifyMac') {
        return (...args: Parameters<CryptoService['verifyMac']>) => {
          verified++;
          return target.verifyMac(...args);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { crypto, verified: () => verified };
}

const routes = ({ dispatcher }: { dispatcher: Dispatcher }) => {
  dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', async () => ({
    rc: RC.APPROVED,
    fields: { 37: '000000000042' },
  }));
  dispatcher.register({ mti: '0200', processingCode: '310000', type: '01' }, 'failing', async () => {
    throw new Error('wallet down');
  });
};

function queryFields(batch: string, processingCode = '300000'): Record<number, string> {
  return { 3: processingCode, 25: '00', 60: `01${batch}000`, 61: `${batch}000001` };
}

t.test('MACs verified and made after an await: the immediate path’s answers', async (t) => {
  const { crypto, verified } = macsElsewhere(createCryptoService({ mode: 'inline', lmk: TEST_LMK }));
  const h = await startHarness([sessionTerminal('10000031')], {}, { routes, crypto });
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000031', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  t.equal((await box.signOn()).rc, '00');
  const orig = { batch: box.batch, stan: '000001' };

  const good = await box.query(orig);
  t.equal(good.rc, '00');
  t.equal(good.macValid, true, 'the reply’s MAC, made after an await, verifies at the box');
  t.equal(good.message.fields[37], '000000000042');
  t.ok(verified() >= 1, 'the request’s MAC was verified through the awaited call');

  const bad = await box.exchange(
    { mti: '0200', fields: { ...queryFields(box.batch), 11: box.nextStan(), 41: '10000031' } },
    { corruptMac: true },
  );
  t.equal(bad.rc, 'A0', 'a bad MAC: A0');
  t.equal((await h.store.getTerminalContext('10000031'))?.macFailures, 1);
  t.equal((await box.query(orig)).rc, '00', 'a good MAC after it');
  await new Promise((r) => setTimeout(r, 20));
  t.equal((await h.store.getTerminalContext('10000031'))?.macFailures, 0, 'ends the run');

  const echo = await box.echo();
  t.equal(echo.rc, '00');
  t.equal(echo.message.fields[64], undefined, 'an echo carries no MAC');

  const failing = await box.exchange({
    mti: '0200',
    fields: { ...queryFields(box.batch, '310000'), 11: box.nextStan(), 41: '10000031' },
  });
  t.equal(failing.rc, RC.SYSTEM_MALFUNCTION, 'a handler that rejects: 96');
});
