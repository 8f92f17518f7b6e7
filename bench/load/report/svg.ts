// A minimal line chart as inline SVG (the report must open without network access): linear or log
// y axis, ticks, a legend, optional shaded x ranges. Values are escaped; nothing executes.
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xTicks?: Array<{ value: number; label: string }>;
  logY?: boolean;
  /** Shaded x ranges, e.g. the warm-up. */
  bands?: Array<{ from: number; to: number; label: string }>;
  /** Horizontal reference lines, e.g. the SLO. */
  rules?: Array<{ y: number; label: string }>;
}

const W = 760;
const H = 320;
const M = { left: 64, right: 16, top: 28, bottom: 44 };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? mag * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 && out.length < 20; v += step)
    out.push(Number(v.toPrecision(6)));
  return out;
}

const fmt = (v: number) =>
  Math.abs(v) >= 100
    ? v.toFixed(0)
    : Math.abs(v) >= 1
      ? String(Number(v.toFixed(2)))
      : String(Number(v.toPrecision(2)));

export function lineChart(spec: ChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points);
  if (pts.length === 0) return `<p><em>${escapeXml(spec.title)}: no data</em></p>`;
  const ruleYs = (spec.rules ?? []).map((r) => r.y);
  const xs = pts.map((p) => p[0]);
  const ys = [...pts.map((p) => p[1]), ...ruleYs];
  const xMin = Math.min(...xs, ...(spec.xTicks ?? []).map((t) => t.value));
  const xMax = Math.max(...xs, ...(spec.xTicks ?? []).map((t) => t.value));
  let yMin: number;
  let yMax: number;
  let ty: (v: number) => number;
  let yTicks: number[];
  if (spec.logY) {
    const positive = ys.filter((y) => y > 0);
    yMin = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
    yMax = 10 ** Math.ceil(Math.log10(Math.max(...positive, yMin * 10)));
    ty = (v) => Math.log10(Math.max(v, yMin));
    yTicks = [];
    for (let v = yMin; v <= yMax * 1.0001; v *= 10) yTicks.push(v);
  } else {
    yMin = 0;
    yMax = Math.max(...ys) * 1.05 || 1;
    ty = (v) => v;
    yTicks = niceTicks(0, yMax);
  }
  const px = (x: number) => M.left + ((x - xMin) / (xMax - xMin || 1)) * (W - M.left - M.right);
  const py = (y: number) => {
    const lo = ty(yMin);
    const hi = ty(yMax);
    return H - M.bottom - ((ty(y) - lo) / (hi - lo || 1)) * (H - M.top - M.bottom);
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">`);
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" class="t">${escapeXml(spec.title)}</text>`);
  for (const b of spec.bands ?? []) {
    const x1 = px(Math.max(b.from, xMin));
    const x2 = px(Math.min(b.to, xMax));
    if (x2 > x1) {
      parts.push(`<rect x="${x1}" y="${M.top}" width="${x2 - x1}" height="${H - M.top - M.bottom}" fill="#eee"/>`);
      parts.push(
        `<text x="${(x1 + x2) / 2}" y="${M.top + 12}" text-anchor="middle" class="s">${escapeXml(b.label)}</text>`,
      );
    }
  }
  for (const v of yTicks) {
    const y = py(v);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" class="s">${fmt(v)}</text>`);
  }
  const xTicks = spec.xTicks ?? niceTicks(xMin, xMax).map((v) => ({ value: v, label: fmt(v) }));
  for (const t of xTicks) {
    const x = px(t.value);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle" class="s">${escapeXml(t.label)}</text>`);
  }
  for (const r of spec.rules ?? []) {
    const y = py(r.y);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="2 3"/>`);
    parts.push(
      `<text x="${W - M.right - 4}" y="${y - 4}" text-anchor="end" class="s" fill="#c00">${escapeXml(r.label)}</text>`,
    );
  }
  parts.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>` +
      `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
  );
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" class="s">${escapeXml(spec.xLabel)}</text>`);
  parts.push(
    `<text x="14" y="${H / 2}" text-anchor="middle" class="s" transform="rotate(-90 14 ${H / 2})">${escapeXml(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    const ly = M.top + 14 + i * 14;
    parts.push(
      `<line x1="${M.left + 10}" x2="${M.left + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    parts.push(`<text x="${M.left + 36}" y="${ly}" class="s">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
