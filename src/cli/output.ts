// How the command line shows things: aligned columns under a header, sizes in
// binary units, times in UTC.

/** Columns aligned with two spaces between them; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd();
  return [line(headers), ...rows.map(line)];
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1073741824 → "1 GiB", 1610612736 → "1.5 GiB", 0 → "0 B". */
export function humanBytes(bytes: number): string {
  let unit = 0;
  while (unit < UNITS.length - 1 && bytes >= 1024 ** (unit + 1)) unit++;
  const value = bytes / 1024 ** unit;
  return `${Math.round(value * 100) / 100} ${UNITS[unit]}`;
}

/** A moment as 2025-11-26T10:23Z (UTC, to the minute), one word for columns. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}
