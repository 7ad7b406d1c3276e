// gprecoverseg -i file format. Pure code: the workflow parses the file it receives as input.
import { InvalidRequestError } from './failures';
import type { RecoveryType } from './recovery';
import type { Location, SegmentRow } from './segment';
import { directoryProblem, hostProblem, normalizeDirectory } from './values';

/** A location as an -i line names it: the hostname field is optional. */
export type SegmentAddress = Omit<Location, 'hostname'> & { hostname?: string };
type LineType = RecoveryType;

export interface RecoverConfigLine {
  lineNo: number;
  type?: LineType;
  failed: SegmentAddress;
  /** Present for a move: recover the failed segment at this new location (always full). */
  target?: SegmentAddress;
}

export class RecoverConfigError extends InvalidRequestError {
  override name = 'RecoverConfigError';
}

const PREFIXES: Record<string, LineType> = { I: 'incremental', D: 'differential', F: 'full' };

/**
 * One segment group, 3 or 4 parts (hostname first), checked as gprecoverseg's check_values does. A 4-part line is
 * matched by hostname too.
 */
function parseGroup(parts: string[], lineNo: number): SegmentAddress {
  const [hostname, address, portText, datadir] = parts.length === 4 ? parts : [undefined, ...parts];
  // Beyond gprecoverseg's check_values: these values reach pg_hba.conf, the catalog, shells and conninfo strings.
  const hostWrong = hostname !== undefined ? hostProblem(hostname, 'hostname') : undefined;
  if (hostWrong) throw new RecoverConfigError(`Invalid hostname on line ${lineNo}: ${hostWrong}`);
  const addressWrong = hostProblem(address ?? '', 'address');
  if (addressWrong) throw new RecoverConfigError(`Invalid address on line ${lineNo}: ${addressWrong}`);
  const port = Number(portText);
  if (!/^\d+$/.test(portText ?? '') || port < 1 || port > 65535) throw new RecoverConfigError(`Invalid port on line ${lineNo}`);
  const dir = normalizeDirectory(datadir ?? '');
  const dirWrong = directoryProblem(dir);
  if (dirWrong) throw new RecoverConfigError(`Invalid directory on line ${lineNo}: ${dirWrong}`);
  return { ...(hostname ? { hostname } : {}), address: address!, port, datadir: dir };
}

/**
 * gprecoverseg -i (clsRecoverSegment_triples): one failed segment per line, `address|port|datadir` or
 * `hostname|address|port|datadir`, optionally followed by whitespace and its new location of the same arity (a move,
 * always full); an optional first field I|, D| or F| sets the line's recovery type; whole-line # comments. An empty
 * file is no error: it has no segments to recover.
 */
export function parseRecoverConfig(text: string, file = 'the recover config'): RecoverConfigLine[] {
  const lines: RecoverConfigLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const groups = line.split(/\s+/);
    if (groups.length > 2) throw new RecoverConfigError(`line ${lineNo} of file ${file}: expected 1 or 2 groups but found ${groups.length}`);
    let parts = groups[0].split('|');
    let type: LineType | undefined;
    // A type prefix makes the first group one part longer than a segment: I|address|port|dir, F|host|address|port|dir.
    if (parts.length === 5 || (parts.length === 4 && /^[A-Za-z]$/.test(parts[0]))) {
      type = PREFIXES[parts[0].toUpperCase()];
      if (!type) throw new RecoverConfigError('Invalid recovery type provided, please provide any of I,D,F,i,d,f as recovery_type');
      parts = parts.slice(1);
    }
    if (parts.length !== 3 && parts.length !== 4) {
      throw new RecoverConfigError(`line ${lineNo} of file ${file}: expected 3 or 4 parts on failed segment group, obtained ${parts.length}`);
    }
    const failed = parseGroup(parts, lineNo);
    let target: SegmentAddress | undefined;
    if (groups.length === 2) {
      const parts2 = groups[1].split('|');
      if ((parts2.length !== 3 && parts2.length !== 4) || parts2.length !== parts.length) {
        throw new RecoverConfigError(`line ${lineNo} of file ${file}: expected equal parts, either 3 or 4 on both segment group, obtained ${parts.length} on group1 and ${parts2.length} on group2`);
      }
      target = parseGroup(parts2, lineNo);
      if (type && type !== 'full') {
        throw new RecoverConfigError(`line ${lineNo} of file ${file}: a move to a new location is always a full recovery; drop the ${type === 'incremental' ? 'I' : 'D'}| prefix`);
      }
    }
    lines.push({ lineNo, ...(type ? { type } : {}), failed, ...(target ? { target } : {}) });
  });
  // clsRecoverSegment_triples._validate: the cross-line conflicts.
  const key = (a: SegmentAddress) => `${a.address}|${a.port}|${a.datadir}`;
  for (const [i, a] of lines.entries()) {
    for (const b of lines.slice(i + 1)) {
      const conflict = `config file lines ${a.lineNo} and ${b.lineNo} conflict:`;
      if (key(a.failed) === key(b.failed)) {
        throw new RecoverConfigError(`${conflict} Cannot recover the same failed segment ${a.failed.address} and data directory ${a.failed.datadir} twice.`);
      }
      if (a.target && b.target && a.target.address === b.target.address && a.target.datadir === b.target.datadir) {
        throw new RecoverConfigError(`${conflict} Cannot recover to the same segment ${a.target.address} and data directory ${a.target.datadir} twice.`);
      }
      const inPlaceUsedAsTarget = (x: RecoverConfigLine, y: RecoverConfigLine) => !x.target && y.target && x.failed.address === y.target.address && x.failed.datadir === y.target.datadir;
      if (inPlaceUsedAsTarget(a, b) || inPlaceUsedAsTarget(b, a)) {
        const x = inPlaceUsedAsTarget(a, b) ? a : b;
        throw new RecoverConfigError(`${conflict} Cannot recover segment ${x.failed.address} with data directory ${x.failed.datadir} in place if it is used as a recovery segment.`);
      }
    }
  }
  return lines;
}

export function matchesSegment(a: SegmentAddress, s: SegmentRow): boolean {
  return (a.address === s.address || a.address === s.hostname) && a.port === s.port && a.datadir === s.datadir
    && (a.hostname === undefined || a.hostname === s.hostname);
}

/** `gprecoverseg -o FILE`: one in-place line per failed segment, with the move syntax explained. */
export function formatSampleConfig(failed: SegmentRow[]): string {
  const header = [
    '# gprecover recover-config (gprecoverseg -i format), one failed segment per line:',
    '#   address|port|datadir                                 recover in place',
    '#   address|port|datadir newAddress|newPort|newDatadir   recover to a new location (always full)',
    '#   optional hostname first (hostname|address|port|datadir); optional prefix I| D| F| per line',
  ];
  return [...header, ...failed.map((s) => `${s.hostname}|${s.address}|${s.port}|${s.datadir}`)].join('\n') + '\n';
}
