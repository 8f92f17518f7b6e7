// The terminal summary: the verdict first, then latency overall and per type, codes, errors, server
// cost, the baseline and the ratios.
import type { LatencySummaryMs } from '../histograms.js';
import { describeMachine } from '../machine.js';
import type { RunSummary } from '../results.js';
import type { BenchReport } from '../session.js';

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function latencyRow(name: string, count: number, errors: number, l: LatencySummaryMs): string {
  return (
    `  ${name.padEnd(10)} ${String(count).padStart(8)} ${String(errors).padStart(7)}  ` +
    [l.p50, l.p90, l.p99, l.p999, l.max].map((x) => f(x).padStart(8)).join('')
  );
}

/** The lines of one run (boxfep or the baseline) in the summary. */
export function runLines(r: RunSummary): string[] {
  const out = [
    `  rate: target ${r.mode === 'open' ? `${r.targetRate}/s (${r.arrivals})` : 'closed loop'}, sent ${r.sentRate}/s, achieved ${r.achievedRate}/s over ${r.durationS} s (after ${r.warmupS} s warm-up)`,
    `  ${'type'.padEnd(10)} ${'count'.padStart(8)} ${'errors'.padStart(7)}  ${['p50', 'p90', 'p99', 'p99.9', 'max'].map((h) => h.padStart(8)).join('')}   (ms)`,
    latencyRow('all', r.completed, r.errors, r.latencyMs),
  ];
  for (const [t, s] of Object.entries(r.byType)) out.push(latencyRow(t, s.count, s.errors, s.latencyMs));
  if (r.push.expected > 0) {
    out.push(
      `  pushes: ${r.push.received}/${r.push.expected} received (${r.push.missing} missing, ${r.push.bad} bad), precreate reply → push p50 ${f(r.push.latencyMs.p50)} ms p99 ${f(r.push.latencyMs.p99)} ms`,
    );
  }
  const codes = Object.entries(r.responseCodes)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
  if (codes) out.push(`  response codes: ${codes}`);
  const reasons = Object.entries(r.errorReasons).sort((a, b) => b[1] - a[1]);
  for (const [reason, n] of reasons.slice(0, 8)) out.push(`  error: ${n} × ${reason}`);
  if (r.warmupErrors > 0) out.push(`  warm-up errors (not in the figures): ${r.warmupErrors}`);
  const start = startOfLoad(r, 3);
  if (start) out.push(`  start of load (warm-up, not in the figures): ${start}`);
  out.push(
    `  generator: lag (send − intended) p99 ${f(r.generatorLagMs.p99)} ms, max ${f(r.generatorLagMs.max)} ms; own CPU ${f(r.generatorCpuUsPerTx)} µs per transaction`,
    `  service time (actual send → reply, the lag left out): p50 ${f(r.serviceMs.p50)}  p99 ${f(r.serviceMs.p99)}  p99.9 ${f(r.serviceMs.p999)} ms; p99 by type: ${serviceByType(r)}`,
  );
  const perSecond = r.secondsP99Ms;
  if (perSecond) {
    out.push(
      `  p99 second by second: median ${f(perSecond.median)}, p90 ${f(perSecond.p90)}, max ${f(perSecond.max)} ms over ${perSecond.seconds} s; ` +
        `seconds above ${Object.keys(perSecond.over).join(' / ')} ms: ${Object.values(perSecond.over).join(' / ')}`,
    );
  }
  if (r.server) {
    out.push(
      `  server pid ${r.server.pid}: ${f(r.server.cpuUsPerTx)} µs CPU per transaction` +
        (r.server.cpuUsPerTxNetOfIdle !== undefined ? ` (${f(r.server.cpuUsPerTxNetOfIdle)} net of idle)` : '') +
        (r.server.kernelPercent !== undefined ? `, ${r.server.kernelPercent}% of it in the kernel` : '') +
        (r.server.eventLoopCpuUsPerTx !== undefined ? `, ${f(r.server.eventLoopCpuUsPerTx)} on its event loop` : '') +
        `, ${r.server.cpuPercent}% of a core, RSS ${(r.server.rssBytes / 2 ** 20).toFixed(0)} MiB` +
        (r.server.runQueueWaitPercent !== undefined
          ? `; its event loop waited for a core ${r.server.runQueueWaitPercent}% of the time`
          : ''),
    );
    const store = r.server.store;
    if (store) {
      const ops = Object.entries(store.byOp)
        .map(([op, n]) => `${op} ${n}`)
        .join(', ');
      const cache = store.terminalCache;
      out.push(
        `  store: ${store.opsPerTx} operations per transaction${ops ? ` (${ops})` : ''}` +
          (cache
            ? `; terminal cache ${(cache.hitRatio * 100).toFixed(1)}% hits (${cache.hit} hit, ${cache.miss} miss, ${cache.bypass} bypass)`
            : ''),
      );
    }
    const worst = worstSeconds(r, 3);
    if (worst) out.push(`  worst seconds: ${worst}`);
  }
  if (r.cpuBudget) {
    const b = r.cpuBudget;
    const parts = Object.entries(b.usPerTx)
      .filter(([k]) => k !== 'machine')
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(', ');
    const waits = Object.entries(b.runQueueWaitPercent ?? {})
      .map(([k, v]) => `${k} ${v}%`)
      .join(', ');
    out.push(
      `  machine: ${b.machineBusyPercent}% busy of ${b.cores} cores (steal ${b.stealPercent}%), ${f(b.usPerTx.machine)} µs CPU per transaction: ${parts}` +
        (waits ? `; waiting for a core: ${waits}` : ''),
    );
  }
  return out;
}

/** Each type's service-time p99, e.g. `sale 30.4, echo 25.1`. */
function serviceByType(r: RunSummary): string {
  return Object.entries(r.byType)
    .map(([t, s]) => `${t} ${f(s.serviceMs.p99)}`)
    .join(', ');
}

/**
 * The measured seconds with the highest p99, with what the server did in each: a stall with the
 * server's event loop waiting for a core is the machine's; one with the server busy is the server's.
 */
function worstSeconds(r: RunSummary, n: number): string | undefined {
  const measured = r.timeline.filter((s) => s.t >= r.warmupS && s.serverCpuPercent !== undefined);
  if (measured.length === 0) return undefined;
  return [...measured]
    .sort((a, b) => b.p99 - a.p99)
    .slice(0, n)
    .map(
      (s) =>
        `t=${s.t} s p99 ${f(s.p99)} ms (server CPU ${s.serverCpuPercent}%` +
        (s.serverRunQueuePercent !== undefined ? `, waited for a core ${s.serverRunQueuePercent}%` : '') +
        ')',
    )
    .join('; ');
}

/**
 * The first seconds of load, second by second: a server started just before the load shows its cold
 * start here (V8 compiling while it serves), which the warm-up window keeps out of the figures.
 */
function startOfLoad(r: RunSummary, n: number): string | undefined {
  const first = r.timeline.filter((s) => s.t < Math.min(n, r.warmupS));
  if (first.length === 0) return undefined;
  const series = (pick: (s: (typeof first)[number]) => number | undefined) =>
    first.map((s) => pick(s) ?? '–').join(' / ');
  let text = `p99 by second ${first.map((s) => f(s.p99)).join(' / ')} ms, p50 ${first.map((s) => f(s.p50)).join(' / ')} ms`;
  if (first.some((s) => s.serverCpuPercent !== undefined))
    text += `; server CPU ${series((s) => s.serverCpuPercent)} %`;
  if (first.some((s) => s.serverRunQueuePercent !== undefined)) {
    text += `, waited for a core ${series((s) => s.serverRunQueuePercent)} %`;
  }
  return text;
}

/** Where each process was allowed to run, as the kernel reported it (with --server-cpus / --load-cpus). */
export function cpusLine(rep: BenchReport): string | undefined {
  const n = rep.loadNice;
  const niceText = n
    ? `load at niceness ${[n.sandbox !== undefined ? `sandbox ${n.sandbox}` : '', n.generators?.length ? `generators ${n.generators.join(' ')}` : ''].filter((x) => x !== '').join(', ')}`
    : undefined;
  const c = rep.cpus;
  if (!c) return niceText;
  const parts = [
    c.server !== undefined ? `boxfep ${c.server}` : '',
    c.echo !== undefined ? `echo server ${c.echo}` : '',
    c.sandbox !== undefined ? `sandbox ${c.sandbox}` : '',
    c.generators?.length ? `generators ${c.generators.join(' ')}` : '',
    c.load !== undefined ? `bench ${c.load}` : '',
  ].filter((x) => x !== '');
  return `pinned to CPUs: ${parts.join(', ')}${niceText ? `; ${niceText}` : ''}`;
}

export function textReport(rep: BenchReport): string {
  const out: string[] = [];
  out.push(
    `boxfep bench — ${describeMachine(rep.machine)}; load average ${rep.loadAverage.start[0]} → ${rep.loadAverage.end[0]}`,
  );
  out.push(
    `target ${rep.target.kind} ${rep.target.address}${rep.target.store ? ` (store ${rep.target.store})` : ''}; ` +
      `${rep.connection.connected}/${rep.connection.boxes} boxes connected and signed on in ${rep.connection.connectSeconds} s` +
      (rep.connection.bytesPerConnection !== undefined
        ? `; server RSS +${(rep.connection.bytesPerConnection / 1024).toFixed(1)} KB per idle connection`
        : '') +
      (rep.connection.idleCpuPercent !== undefined ? `; idle server CPU ${rep.connection.idleCpuPercent}%` : ''),
  );
  const pinnedLine = cpusLine(rep);
  if (pinnedLine) out.push(pinnedLine);
  out.push(
    `SLO (p99 ≤ ${rep.slo.p99Ms} ms, p99.9 ≤ ${rep.slo.p999Ms} ms, no errors): ${rep.slo.pass ? 'PASS' : `FAIL — ${rep.slo.failures.join('; ')}`}`,
  );
  out.push('boxfep:', ...runLines(rep));
  if (rep.baseline) {
    out.push('echo baseline (same connections, rate and traffic; replies unchecked):', ...runLines(rep.baseline));
    const r = rep.ratios ?? {};
    out.push(
      `ratios boxfep / echo: p50 ×${r.p50 ?? '-'}  p90 ×${r.p90 ?? '-'}  p99 ×${r.p99 ?? '-'}  p99.9 ×${r.p999 ?? '-'}  CPU/tx ×${r.cpuUsPerTx ?? '-'}  service p99 ×${r.serviceP99 ?? '-'}  median second's p99 ×${r.secondP99Median ?? '-'}`,
    );
  }
  if (rep.sweep) {
    out.push('sweep:');
    for (const s of rep.sweep.steps) {
      out.push(
        `  ${String(s.targetRate).padStart(7)}/s  achieved ${String(s.achievedRate).padStart(8)}/s  p99 ${f(s.latencyMs.p99).padStart(7)} ms  p99.9 ${f(s.latencyMs.p999).padStart(7)} ms  errors ${s.errors}  ${s.slo.pass ? 'ok' : 'FAIL'}` +
          (s.server ? `  server ${f(s.server.cpuUsPerTx)} µs/tx ${s.server.cpuPercent}%` : ''),
      );
    }
    out.push(`highest rate holding the SLO: ${rep.sweep.maxRateHoldingSlo ?? 'none'}/s`);
  }
  return `${out.join('\n')}\n`;
}
