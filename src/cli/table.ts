// Column alignment as the docker CLI's tables have it (Go's tabwriter with
// min width 10, padding 3): every tab-terminated cell is padded to its
// column's widest cell plus 3 spaces, at least 10; the text after a line's
// last tab is not aligned.

const MIN_WIDTH = 10;
const PADDING = 3;

const displayWidth = (s: string): number => [...s].length;

export function alignColumns(text: string): string {
  const lines = text.split('\n');
  const rows = lines.map((line) => line.split('\t'));
  const widths: number[] = [];
  for (const cells of rows) {
    // The last cell of a row is trailing text, not a column.
    for (let i = 0; i < cells.length - 1; i++) {
      widths[i] = Math.max(widths[i] ?? MIN_WIDTH, displayWidth(cells[i]) + PADDING);
    }
  }
  return rows
    .map((cells) =>
      cells
        .map((cell, i) => (i < cells.length - 1 ? cell + ' '.repeat(widths[i] - displayWidth(cell)) : cell))
        .join(''),
    )
    .join('\n');
}
