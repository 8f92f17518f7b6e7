// Writes the report files: JSON, HTML (inline SVG) and one .hgrm per histogram for the HdrHistogram
// plotter (https://hdrhistogram.github.io/HdrHistogram/plotFiles.html).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hgrm } from '../histograms.js';
import type { BenchResult } from '../session.js';
import { htmlReport } from './html.js';

export interface ReportPaths {
  json?: string;
  html?: string;
  /** Path prefix: `<prefix>boxfep-all.hgrm`, `<prefix>boxfep-sale.hgrm`, `<prefix>echo-all.hgrm`, … */
  hgrm?: string;
}

export function pathsFor(outDir: string | undefined, given: ReportPaths): ReportPaths {
  if (outDir === undefined) return given;
  return {
    json: given.json ?? join(outDir, 'report.json'),
    html: given.html ?? join(outDir, 'report.html'),
    hgrm: given.hgrm ?? `${join(outDir, 'latency')}-`,
  };
}

/** Writes what `paths` asks for and returns the files written. */
export function writeReports(result: BenchResult, paths: ReportPaths): string[] {
  const written: string[] = [];
  const put = (file: string, text: string) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(file);
  };
  if (paths.json) put(paths.json, `${JSON.stringify(result.report, null, 2)}\n`);
  if (paths.html) put(paths.html, htmlReport(result));
  if (paths.hgrm) {
    put(`${paths.hgrm}boxfep-all.hgrm`, hgrm(result.main.overall));
    for (const [t, h] of Object.entries(result.main.byType)) {
      if (h.totalCount > 0) put(`${paths.hgrm}boxfep-${t}.hgrm`, hgrm(h));
    }
    if (result.baseline) put(`${paths.hgrm}echo-all.hgrm`, hgrm(result.baseline.overall));
  }
  return written;
}
