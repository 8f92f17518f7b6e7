// Reading PromQL and rule files without a PromQL or YAML library: enough to list the metric names
// an expression selects, and the expressions of ops/alerts.yml (whose layout we own and keep simple).
import { readFileSync } from 'node:fs';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Series that Prometheus itself provides to every query. */
export const BUILTIN_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds']);

/** The metric names an expression selects (functions, keywords, labels and Grafana variables excluded). */
export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\boffset\s+-?[0-9a-z$_]+/gi, ' ')
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  s = s.replace(/(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, ' '); // numbers
  const names = new Set<string>();
  for (const m of s.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2]) continue; // a function call
    if (KEYWORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return [...names];
}

export interface RuleEntry {
  kind: 'record' | 'alert';
  name: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const unquote = (v: string) =>
  v
    .trim()
    .replace(/^'(.*)'$/s, '$1')
    .replace(/^"(.*)"$/s, '$1');

/**
 * The rules of a Prometheus rule file written in ops/alerts.yml's style: `- record:`/`- alert:` items
 * with `expr:` inline or as a `|` block, `labels:`/`annotations:` maps of one-line values.
 */
export function readRules(path: string): RuleEntry[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const rules: RuleEntry[] = [];
  let current: RuleEntry | undefined;
  let section: 'labels' | 'annotations' | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    const indent = line.length - line.trimStart().length;
    const item = /^\s*- (record|alert):\s*(\S+)\s*$/.exec(line);
    if (item) {
      current = { kind: item[1] as 'record' | 'alert', name: item[2], expr: '', labels: {}, annotations: {} };
      rules.push(current);
      section = undefined;
      continue;
    }
    if (!current) continue;
    const kv = /^\s*([a-z_]+):\s*(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv;
    if (key === 'expr') {
      section = undefined;
      if (value.trim() === '|' || value.trim() === '>') {
        const body: string[] = [];
        while (i + 1 < lines.length) {
          const next = lines[i + 1];
          if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
          body.push(next.trim());
          i++;
        }
        current.expr = body.join(' ').trim();
      } else current.expr = unquote(value);
    } else if (key === 'labels' || key === 'annotations') section = value.trim() === '' ? key : undefined;
    else if (section && value !== '') current[section][key] = unquote(value);
  }
  return rules;
}
