// Plain-text tables for the CLI and the demo's status; here rather than in client/ because cluster/ must not import
// client/.

/**
 * The header and rows as lines: each column as wide as its widest cell, columns two spaces apart. The last column is
 * not padded and trailing spaces are trimmed, so an empty last cell leaves no blanks at the end of its line.
 */
export function formatTable(header: string[], rows: string[][]): string[] {
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}
