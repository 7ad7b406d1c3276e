export interface CopyProgress {
  tool: 'pg_basebackup' | 'pg_rewind' | 'rsync' | 'start';
  doneKb?: number;
  totalKb?: number;
  percent?: number;
  /** The tool's own last progress line, as gprecoverseg's progress files show it. */
  line: string;
}

/** pg_basebackup and pg_rewind print "164848/1371715 kB (84%)"; rsync --info=progress2 prints "1,234,567  45%". */
export function parseProgress(tool: CopyProgress['tool'], line: string): CopyProgress {
  const kb = /(\d+)\/(\d+) kB \((\d+)%\)/.exec(line);
  if (kb) return { tool, doneKb: Number(kb[1]), totalKb: Number(kb[2]), percent: Number(kb[3]), line };
  const rs = /^\s*([\d,]+)\s+(\d+)%/.exec(line);
  if (rs) return { tool, doneKb: Math.round(Number(rs[1].replace(/,/g, '')) / 1024), percent: Number(rs[2]), line };
  return { tool, line };
}
