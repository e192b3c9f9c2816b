// Percentiles and plain-text tables shared by the benchmarks.

export interface Summary {
  runs: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/**
 * Nearest-rank percentile: always a value that was actually measured, so a
 * p99 over 200 runs is the 198th of 200, not a blend of two.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

export const nsToMs = (ns: number): number => ns / 1e6;

/** Rounds for the JSON line: enough digits to compare, not float noise. */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return ms >= 100 ? ms.toFixed(1) : ms.toFixed(3);
}

export function fmtRatio(r: number | null | undefined): string {
  return r === null || r === undefined ? '-' : `${r.toFixed(2)}x`;
}

export type Align = 'left' | 'right';

export interface Column {
  title: string;
  align?: Align;
}

/** Renders rows under a header, each column as wide as its widest cell. */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (columns[i].align === 'left' ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.title)), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) out.push(line(columns.map((_, i) => row[i] ?? '')));
  return out.join('\n');
}
