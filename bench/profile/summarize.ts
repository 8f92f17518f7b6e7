// Reads a .cpuprofile (self time by file and by function, as shares of the busy samples) or a
// .heapprofile (bytes allocated by function) and prints the top entries: enough to compare two builds
// without opening a profiler UI. A CPU profile can be cut to a window of seconds from its start (a
// spawned server's profile covers its whole life: start, warm-up, sign-ons, then the load), and
// `timeline` prints the busy share of each second, to find the window.
//
//   node dist/bench/profile/summarize.js FILE [top=30] [fromS toS | timeline]
import { readFileSync } from 'node:fs';
import { type CallFrame, type CpuProfile, sampleSeconds } from './cpu-profile.js';

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** `name file:line`, with the path cut to what follows dist/ or node_modules/. */
function frameName(f: CallFrame): string {
  const file = f.url.replace(/.*\/(dist|node_modules)\//, '');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber}`;
}

/** The package, node: module or project file a frame belongs to. */
function fileOf(f: CallFrame): string {
  if (!f.url) return f.functionName;
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f.url);
  if (pkg) return `npm:${pkg[1]}`;
  return f.url.startsWith('node:') ? f.url : f.url.replace(/.*\/dist\//, '');
}

function top(title: string, tally: Map<string, number>, n: number, format: (v: number) => string): void {
  console.log(`-- ${title}`);
  for (const [k, v] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${format(v)}  ${k}`);
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

/** Busy share of each whole second of the profile. */
function timeline(profile: CpuProfile): void {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const at = sampleSeconds(profile);
  const perSecond: Array<{ all: number; busy: number }> = [];
  profile.samples.forEach((id, i) => {
    const s = Math.floor(at[i] as number);
    perSecond[s] ??= { all: 0, busy: 0 };
    perSecond[s].all++;
    if (!idle.has(id)) perSecond[s].busy++;
  });
  perSecond.forEach((v, s) => {
    if (v) console.log(`${String(s).padStart(4)} s  busy ${((100 * v.busy) / v.all).toFixed(0).padStart(3)}%`);
  });
}

function cpu(profile: CpuProfile, n: number, window?: { from: number; to: number }): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<number, number>();
  const at = window ? sampleSeconds(profile) : [];
  let inWindow = 0;
  profile.samples.forEach((id, i) => {
    if (window && !((at[i] as number) >= window.from && (at[i] as number) < window.to)) return;
    inWindow++;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const [id, c] of counts) {
    const f = byId.get(id)?.callFrame;
    if (!f || f.functionName === '(idle)') continue;
    busy += c;
    add(byFile, fileOf(f), c);
    add(byFunction, frameName(f), c);
  }
  const share = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)}%`;
  const where = window ? ` in ${window.from}–${window.to} s` : '';
  console.log(`samples${where} ${inWindow}, busy ${busy} (${((100 * busy) / inWindow).toFixed(1)}%)`);
  top('self time by file', byFile, n, share);
  top('self time by function', byFunction, n, share);
}

function heap(profile: { head: HeapNode }, n: number): void {
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode) => {
    total += node.selfSize;
    if (node.selfSize > 0) add(byFunction, frameName(node.callFrame), node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  console.log(`allocated ${(total / 1e6).toFixed(1)} MB`);
  top('bytes allocated by function', byFunction, n, (v) => `${(v / 1e6).toFixed(2).padStart(8)} MB`);
}

const [file, count, from, to] = process.argv.slice(2);
const window = from !== undefined && to !== undefined ? { from: Number(from), to: Number(to) } : undefined;
if (!file || (window && !(window.from < window.to)) || (from !== undefined && from !== 'timeline' && !window)) {
  console.error('usage: summarize.js FILE.cpuprofile|FILE.heapprofile [top=30] [fromS toS | timeline]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const n = Number(count ?? 30);
// A heap profile has a tree under `head`; a CPU profile a flat node list.
if ('head' in profile) heap(profile, n);
else if (from === 'timeline') timeline(profile);
else cpu(profile, n, window);
