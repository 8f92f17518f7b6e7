// Inclusive shares of named parts of a CPU profile: the busy samples whose call stack has a frame of
// the part, whatever was on top of it. summarize.js gives self time (where the samples landed); this
// answers "how much of the main thread is the wallet call, all of it", which self time scatters over
// undici, the crypto natives and the syscalls beneath them.
//
//   node dist/bench/profile/parts.js FILE.cpuprofile fromS toS [NAME=]PATTERN ...
//
// A frame is `function@url` (url as the profile has it: file:///…/dist/src/…, node:net, empty for
// natives). A PATTERN is alternatives split by `|`, each a `&`-joined list of substrings that must
// all be on the stack: `undici|wechat/` is any undici or WeChat-connector frame; `flushAll@&writeBuffer@`
// is a native write under the box server's flush. Parts may overlap; each is a share of all busy samples.
import { readFileSync } from 'node:fs';
import { type CpuProfile, sampleSeconds } from './cpu-profile.js';

export interface Part {
  name: string;
  /** Any of these; each a list of substrings all found on the stack (not necessarily in one frame). */
  alternatives: string[][];
}

export interface PartShares {
  /** Samples in the window that were not idle. */
  busy: number;
  /** Per part, in the order given: busy samples with the part on their stack, and their % of `busy`. */
  parts: { name: string; samples: number; percent: number }[];
}

/** `NAME=PATTERN` or `PATTERN` (then the pattern is the name). */
export function parsePart(arg: string): Part {
  const eq = arg.indexOf('=');
  const name = eq > 0 ? arg.slice(0, eq) : arg;
  const pattern = eq > 0 ? arg.slice(eq + 1) : arg;
  const alternatives = pattern.split('|').map((alt) => alt.split('&').filter((s) => s !== ''));
  if (alternatives.some((a) => a.length === 0)) throw new Error(`empty alternative in part ${JSON.stringify(arg)}`);
  return { name, alternatives };
}

/** The parts' inclusive shares of the busy samples taken in [fromS, toS) of the profile. */
export function partShares(profile: CpuProfile, parts: readonly Part[], fromS: number, toS: number): PartShares {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // One stack text per node, built once: a profile has thousands of nodes and millions of samples.
  const stacks = new Map<number, string>();
  const stackOf = (id: number): string => {
    let s = stacks.get(id);
    if (s === undefined) {
      const frames: string[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at)!.callFrame;
        frames.push(`${f.functionName}@${f.url}`);
      }
      s = frames.join('\n');
      stacks.set(id, s);
    }
    return s;
  };
  const counts = parts.map(() => 0);
  const at = sampleSeconds(profile);
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    if (at[i]! < fromS || at[i]! >= toS) continue;
    const id = profile.samples[i]!;
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
    busy++;
    const stack = stackOf(id);
    parts.forEach((p, k) => {
      if (p.alternatives.some((all) => all.every((s) => stack.includes(s)))) counts[k]!++;
    });
  }
  return {
    busy,
    parts: parts.map((p, k) => ({
      name: p.name,
      samples: counts[k]!,
      percent: busy === 0 ? 0 : (100 * counts[k]!) / busy,
    })),
  };
}

function main(args: string[]): void {
  const [file, from, to, ...specs] = args;
  const fromS = Number(from);
  const toS = Number(to);
  if (!file || !(fromS < toS) || specs.length === 0) {
    console.error('usage: parts.js FILE.cpuprofile fromS toS [NAME=]PATTERN ...  (PATTERN: a&b|c)');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const shares = partShares(profile, specs.map(parsePart), fromS, toS);
  console.log(`busy samples in ${fromS}–${toS} s: ${shares.busy}`);
  for (const p of shares.parts) console.log(`${p.percent.toFixed(1).padStart(5)}%  ${p.name}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
