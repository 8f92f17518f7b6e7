// The notify port on its own (src/channels/notify-server.ts) with a plain test handler: routing,
// the body limit, de-duplication per order and state, persistence before the acknowledgement, the
// reply bytes, and a wallet that hangs up mid-body.
import { connect } from 'node:net';
import t from 'tap';
import type { ChannelEvent, NotifyHandler, OrderState } from '../../src/channels/channel.js';
import { NotifyError } from '../../src/channels/channel.js';
import { NotifyServer, type NotifyServerOptions } from '../../src/channels/notify-server.js';

/** Body `<outTradeNo> <state>`; `bad` is refused. */
const handler: NotifyHandler = {
  wallet: 'WX',
  path: '/notify/test',
  parse(raw) {
    const [outTradeNo = '', state = ''] = raw.toString('utf8').split(' ');
    if (outTradeNo === 'bad') return { ok: false, error: new NotifyError('bad-signature', 'bad') };
    return {
      ok: true,
      event: {
        wallet: 'WX',
        outTradeNo,
        state: state as OrderState,
        amountFen: 1,
        channelOrderId: `c${outTradeNo}`,
        walletCode: 'SUCCESS',
        appId: 'app',
        merchantId: 'mch',
      },
    };
  },
  ack: { body: 'ACK✓', contentType: 'text/plain; charset=utf-8' },
  nack: { body: 'NACK', contentType: 'text/plain' },
};

async function server(t: { teardown(fn: () => unknown): void }, options: Partial<NotifyServerOptions> = {}) {
  const notify = new NotifyServer({ handlers: [handler], ...options });
  await notify.start();
  const events: ChannelEvent[] = [];
  notify.on('event', (e) => events.push(e));
  t.teardown(() => notify.stop());
  return { notify, events, url: notify.urlFor('WX') };
}

/** Raw HTTP/1.1 exchange: the reply's whole bytes (status line, headers, body). */
function raw(port: number, request: string | string[], closeAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts = Array.isArray(request) ? request : [request];
    const s = connect(port, '127.0.0.1', () => {
      let i = 0;
      const next = () => {
        s.write(parts[i++] as string);
        if (i < parts.length) setTimeout(next, 10);
        else if (closeAfterMs !== undefined) setTimeout(() => s.destroy(), closeAfterMs);
      };
      next();
    });
    let out = '';
    s.on('data', (d) => {
      out += d.toString('utf8');
      if (/\r\n\r\n/.test(out)) {
        const len = /content-length: (\d+)/i.exec(out);
        const body = out.slice(out.indexOf('\r\n\r\n') + 4);
        if (!len || Buffer.byteLength(body) >= Number(len[1])) s.end();
      }
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

const postText = (body: string, path = '/notify/test') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

async function post(url: string, body: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url, { method: 'POST', body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

t.test('routing: POST to the handler path (a query string is ignored); anything else 404', async (t) => {
  const { notify, url } = await server(t);
  t.equal((await post(url, 'o1 paid')).status, 200);
  t.equal((await post(`${url}?x=1&y=2`, 'o2 paid')).text, 'ACK✓', 'query string ignored');
  t.equal((await post(`${notify.url}/notify/other`, 'o3 paid')).status, 404);
  t.equal((await fetch(url)).status, 404, 'GET');
});

t.test('reply bytes: the acknowledgement with its content type and byte length', async (t) => {
  const { notify } = await server(t);
  const port = Number(new URL(notify.url).port);
  const ack = await raw(port, postText('r1 paid'));
  t.match(ack, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(ack, /\r\ncontent-type: text\/plain; charset=utf-8\r\ncontent-length: 6\r\n/);
  t.ok(ack.endsWith('\r\n\r\nACK✓'), 'body');
  const nack = await raw(port, postText('bad paid'));
  t.match(nack, /\r\ncontent-type: text\/plain\r\ncontent-length: 4\r\n/);
  t.ok(nack.endsWith('\r\n\r\nNACK'));
});

t.test('a body in several chunks is read whole; over maxBodyBytes is refused with 413', async (t) => {
  const { notify, events } = await server(t, { maxBodyBytes: 20 });
  const port = Number(new URL(notify.url).port);
  const head = 'POST /notify/test HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n';
  const ok = await raw(port, [head, 'chunk', 'ed ', 'paid']);
  t.match(ok, /^HTTP\/1\.1 200/);
  t.same(
    events.map((e) => [e.outTradeNo, e.state]),
    [['chunked', 'paid']],
  );
  const big = await raw(port, postText(`${'x'.repeat(30)} paid`));
  t.match(big, /^HTTP\/1\.1 413/);
  const big2 = await raw(port, [
    'POST /notify/test HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n',
    'y'.repeat(15),
    'y'.repeat(15),
  ]);
  t.match(big2, /^HTTP\/1\.1 413/, 'over the limit across chunks');
  t.equal(events.length, 1, 'nothing emitted for refused bodies');
  t.match(await raw(port, postText('after paid')), /^HTTP\/1\.1 200/, 'still serving');
});

t.test('one event per order and state: duplicates acked, a stale pending dropped', async (t) => {
  const { url, events } = await server(t);
  for (const b of ['d1 pending', 'd1 pending', 'd1 paid', 'd1 paid', 'd1 pending', 'd2 paid', 'd2 pending']) {
    const r = await post(url, b);
    t.equal(r.text, 'ACK✓', `${b} acknowledged`);
  }
  t.same(
    events.map((e) => `${e.outTradeNo} ${e.state}`),
    ['d1 pending', 'd1 paid', 'd2 paid'],
  );
  t.equal((await post(url, 'd1 closed')).text, 'ACK✓');
  t.equal(events.at(-1)?.state, 'closed', 'another final state is still news');
});

t.test('persisted before the ack: a failing onEvent gives a nack and the retry is news again', async (t) => {
  let fail = true;
  const persisted: string[] = [];
  const { url, events } = await server(t, {
    onEvent: async (e) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('store down');
      persisted.push(`${e.outTradeNo} ${e.state}`);
    },
  });
  t.equal((await post(url, 'p1 paid')).text, 'NACK', 'not persisted: nack');
  t.equal(events.length, 0, 'not emitted');
  fail = false;
  t.equal((await post(url, 'p1 paid')).text, 'ACK✓', 'retry acknowledged');
  t.equal((await post(url, 'p1 paid')).text, 'ACK✓', 'duplicate acknowledged');
  t.same(persisted, ['p1 paid'], 'persisted once');
  t.equal(events.length, 1, 'emitted once');
  // A pending refused first, then paid: both are news (the failed pending was forgotten).
  fail = true;
  t.equal((await post(url, 'p2 pending')).text, 'NACK');
  fail = false;
  t.equal((await post(url, 'p2 pending')).text, 'ACK✓');
  t.same(
    events.map((e) => `${e.outTradeNo} ${e.state}`),
    ['p1 paid', 'p2 pending'],
  );
});

t.test('memory: the oldest order is forgotten first', async (t) => {
  const { url, events } = await server(t, { memory: 2 });
  for (const b of ['m1 paid', 'm2 paid', 'm2 closed', 'm3 paid', 'm2 paid', 'm1 paid']) await post(url, b);
  t.same(
    events.map((e) => `${e.outTradeNo} ${e.state}`),
    ['m1 paid', 'm2 paid', 'm2 closed', 'm3 paid', 'm1 paid'],
    'm2 kept (updated in place, not moved); m1 forgotten when m3 came',
  );
});

t.test('a wallet hanging up mid-body does not take the server down', async (t) => {
  const { notify, url, events } = await server(t);
  const port = Number(new URL(notify.url).port);
  const cut = await raw(port, 'POST /notify/test HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nh1 pa', 30);
  t.equal(cut, '', 'no reply');
  await new Promise((r) => setTimeout(r, 50));
  t.equal((await post(url, 'h2 paid')).text, 'ACK✓', 'still serving');
  t.same(
    events.map((e) => e.outTradeNo),
    ['h2'],
  );
});
