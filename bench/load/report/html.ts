// The HTML report: one self-contained page (inline CSS and SVG, no scripts, no network) with the
// verdict, the latency-by-percentile chart (boxfep per type and the echo baseline), latency and
// throughput over time, and the tables of the JSON report.

import { percentileCurve } from '../histograms.js';
import { describeMachine } from '../machine.js';
import type { RunSummary } from '../results.js';
import type { BenchResult } from '../session.js';
import { escapeXml, lineChart, type Series } from './svg.js';
import { cpusLine } from './text.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

/** x = log10(1 / (1 − p)): 90 % → 1, 99 % → 2, 99.9 % → 3, … (the HdrHistogram plotter's axis). */
function nines(p: number): number {
  return Math.log10(1 / Math.max(1 - p / 100, 1e-7));
}

function curve(points: Array<[number, number]>): Array<[number, number]> {
  return points.map(([p, ms]) => [nines(p), ms]);
}

const PERCENTILE_TICKS = [0, 1, 2, 3, 4, 5].map((v) => ({
  value: v,
  label: ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%'][v],
}));

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const th = headers.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

function latencyTable(r: RunSummary): string {
  const rows: Array<Array<string | number>> = [
    [
      'all',
      r.completed,
      r.errors,
      r.latencyMs.p50,
      r.latencyMs.p90,
      r.latencyMs.p99,
      r.latencyMs.p999,
      r.latencyMs.max,
    ],
  ];
  for (const [t, s] of Object.entries(r.byType)) {
    const l = s.latencyMs;
    rows.push([t, s.count, s.errors, l.p50, l.p90, l.p99, l.p999, l.max]);
  }
  return table(['type', 'count', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms'], rows);
}

function runSection(title: string, r: RunSummary): string {
  const facts: Array<[string, string | number]> = [
    ['target rate', r.mode === 'open' ? `${r.targetRate}/s (${r.arrivals})` : 'closed loop'],
    ['achieved rate', `${r.achievedRate}/s`],
    ['measured', `${r.durationS} s after ${r.warmupS} s warm-up`],
    ['requests / errors', `${r.requests} / ${r.errors}`],
    ['generator lag p99 / own CPU', `${r.generatorLagMs.p99} ms / ${r.generatorCpuUsPerTx} µs per transaction`],
    [
      'service time p50 / p99 / p99.9 (actual send → reply)',
      `${r.serviceMs.p50} / ${r.serviceMs.p99} / ${r.serviceMs.p999} ms`,
    ],
  ];
  const perSecond = r.secondsP99Ms;
  if (perSecond) {
    facts.push([
      'p99 second by second: median / p90 / max',
      `${perSecond.median} / ${perSecond.p90} / ${perSecond.max} ms over ${perSecond.seconds} s; seconds above ` +
        Object.entries(perSecond.over)
          .map(([ms, n]) => `${ms} ms: ${n}`)
          .join(', '),
    ]);
  }
  if (r.server) {
    const net = r.server.cpuUsPerTxNetOfIdle;
    facts.push([
      'server CPU per transaction',
      `${r.server.cpuUsPerTx} µs${net !== undefined ? ` (${net} µs net of idle)` : ''}, ${r.server.cpuPercent}% of a core` +
        (r.server.kernelPercent !== undefined ? `, ${r.server.kernelPercent}% of it in the kernel` : '') +
        (r.server.eventLoopCpuUsPerTx !== undefined ? `, ${r.server.eventLoopCpuUsPerTx} µs on its event loop` : ''),
    ]);
    facts.push(['server RSS', `${(r.server.rssBytes / 2 ** 20).toFixed(0)} MiB`]);
  }
  if (r.cpuBudget) {
    const b = r.cpuBudget;
    facts.push([
      'machine CPU per transaction',
      `${b.usPerTx.machine} µs (${Object.entries(b.usPerTx)
        .filter(([k]) => k !== 'machine')
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); ${b.machineBusyPercent}% busy of ${b.cores} cores, steal ${b.stealPercent}%`,
    ]);
  }
  if (r.push.expected > 0) {
    facts.push(['C2B pushes', `${r.push.received}/${r.push.expected} (missing ${r.push.missing}, bad ${r.push.bad})`]);
  }
  const errors = Object.entries(r.errorReasons).map(([k, v]) => [k, v] as Array<string | number>);
  const codes = Object.entries(r.byType).map(([t, s]) => [
    t,
    Object.entries(s.rc)
      .map(([c, n]) => `${c}×${n}`)
      .join(' '),
  ]);
  return `<h2>${escapeXml(title)}</h2>
${table(['', ''], facts)}
${latencyTable(r)}
<h3>Response codes</h3>${table(['type', 'codes'], codes)}
${errors.length ? `<h3>Errors</h3>${table(['reason', 'count'], errors)}` : ''}`;
}

export function htmlReport(result: BenchResult): string {
  const rep = result.report;
  const series: Series[] = [
    { name: 'boxfep, all', color: COLORS[0], points: curve(percentileCurve(result.main.overall)) },
  ];
  Object.entries(result.main.byType).forEach(([t, h], i) => {
    if (h.totalCount > 0)
      series.push({
        name: `boxfep, ${t}`,
        color: COLORS[(i + 1) % COLORS.length],
        points: curve(percentileCurve(h)),
        dashed: true,
      });
  });
  if (result.baseline) {
    series.push({ name: 'echo baseline', color: '#777', points: curve(percentileCurve(result.baseline.overall)) });
  }
  const percentiles = lineChart({
    title: 'Latency by percentile (from intended send time)',
    xLabel: 'percentile',
    yLabel: 'latency, ms (log)',
    series,
    xTicks: PERCENTILE_TICKS,
    logY: true,
    rules: [{ y: rep.slo.p99Ms, label: `SLO p99 ${rep.slo.p99Ms} ms` }],
  });
  const tl = rep.timeline;
  const warm = { from: 0, to: rep.warmupS, label: 'warm-up' };
  const overTime = lineChart({
    title: 'Latency over time (by intended send second)',
    xLabel: 'seconds since start',
    yLabel: 'latency, ms (log)',
    logY: true,
    bands: [warm],
    series: [
      { name: 'p50', color: COLORS[2], points: tl.map((s) => [s.t, s.p50]) },
      { name: 'p99', color: COLORS[1], points: tl.map((s) => [s.t, s.p99]) },
      { name: 'max', color: COLORS[3], points: tl.map((s) => [s.t, s.max]) },
      ...(rep.baseline
        ? [
            {
              name: 'echo p99',
              color: '#777',
              dashed: true,
              points: rep.baseline.timeline.map((s) => [s.t, s.p99] as [number, number]),
            },
          ]
        : []),
    ],
  });
  const throughput = lineChart({
    title: 'Requests per second',
    xLabel: 'seconds since start',
    yLabel: 'per second',
    bands: [warm],
    series: [
      { name: 'sent', color: COLORS[0], points: tl.map((s) => [s.t, s.sent]) },
      { name: 'answered', color: COLORS[2], points: tl.map((s) => [s.t, s.done]), dashed: true },
      { name: 'errors', color: COLORS[3], points: tl.map((s) => [s.t, s.errors]) },
    ],
  });
  // Next to latency over time: whether a slow second was boxfep busy or boxfep waiting for a core.
  const sampled = tl.filter((s) => s.serverCpuPercent !== undefined);
  const serverOverTime =
    sampled.length === 0
      ? ''
      : lineChart({
          title: 'boxfep: CPU and wait for a core (% of each second)',
          xLabel: 'seconds since start',
          yLabel: '% of the second',
          bands: [warm],
          series: [
            {
              name: 'CPU (all threads, % of a core)',
              color: COLORS[0],
              points: sampled.map((s) => [s.t, s.serverCpuPercent!]),
            },
            {
              name: 'event loop waiting for a core',
              color: COLORS[3],
              points: sampled
                .filter((s) => s.serverRunQueuePercent !== undefined)
                .map((s) => [s.t, s.serverRunQueuePercent!]),
            },
          ],
        });
  let sweep = '';
  if (rep.sweep) {
    const steps = rep.sweep.steps;
    sweep = `<h2>Sweep</h2>${lineChart({
      title: 'p99 and p99.9 by offered rate',
      xLabel: 'target rate, /s',
      yLabel: 'latency, ms (log)',
      logY: true,
      series: [
        { name: 'p99', color: COLORS[1], points: steps.map((s) => [s.targetRate, s.latencyMs.p99]) },
        { name: 'p99.9', color: COLORS[3], points: steps.map((s) => [s.targetRate, s.latencyMs.p999]) },
      ],
      rules: [{ y: rep.slo.p99Ms, label: `SLO p99 ${rep.slo.p99Ms} ms` }],
    })}
${table(
  ['target /s', 'achieved /s', 'p99 ms', 'p99.9 ms', 'errors', 'server µs/tx', 'SLO'],
  steps.map((s) => [
    s.targetRate,
    s.achievedRate,
    s.latencyMs.p99,
    s.latencyMs.p999,
    s.errors,
    s.server?.cpuUsPerTx ?? '-',
    s.slo.pass ? 'holds' : 'missed',
  ]),
)}<p>Highest rate holding the SLO: <b>${rep.sweep.maxRateHoldingSlo ?? 'none'}</b>/s</p>`;
  }
  const ratios = rep.ratios
    ? `<h2>boxfep / echo baseline</h2>${table(Object.keys(rep.ratios), [
        Object.values(rep.ratios).map((v) => (v === null ? '-' : `×${v}`)),
      ])}`
    : '';
  const c = rep.connection;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>boxfep bench ${escapeXml(rep.startedAt)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:820px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.pass{color:#080}.fail{color:#c00}
svg{background:#fff;border:1px solid #ddd;margin:8px 0}svg .t{font:bold 13px sans-serif}svg .s{font:11px sans-serif}
</style></head><body>
<h1>boxfep bench</h1>
<p>${escapeXml(rep.startedAt)} · ${escapeXml(describeMachine(rep.machine))} · load average ${rep.loadAverage.start[0]} → ${rep.loadAverage.end[0]}<br>
target ${escapeXml(rep.target.kind)} ${escapeXml(rep.target.address)}${rep.target.store ? ` · store ${escapeXml(rep.target.store)}` : ''} ·
${c.connected}/${c.boxes} boxes connected and signed on in ${c.connectSeconds} s${c.bytesPerConnection !== undefined ? ` · server RSS +${(c.bytesPerConnection / 1024).toFixed(1)} KB per idle connection` : ''}<br>
${rep.cpus ? `${escapeXml(cpusLine(rep) ?? '')}<br>` : ''}<code>${escapeXml(['boxfep', 'bench', ...rep.command].join(' '))}</code></p>
<p class="${rep.slo.pass ? 'pass' : 'fail'}"><b>SLO (p99 ≤ ${rep.slo.p99Ms} ms, p99.9 ≤ ${rep.slo.p999Ms} ms, no errors): ${rep.slo.pass ? 'PASS' : `FAIL — ${escapeXml(rep.slo.failures.join('; '))}`}</b></p>
${percentiles}
${overTime}
${serverOverTime}
${throughput}
${ratios}
${runSection('boxfep', rep)}
${rep.baseline ? runSection('echo baseline', rep.baseline) : ''}
${sweep}
</body></html>
`;
}
