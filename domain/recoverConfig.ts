// gprecoverseg -i file format. Pure code: the workflow parses the file it receives as input.
import { InvalidRequestError } from './failures';
import type { RecoveryType } from './recovery';
import type { Location, SegmentRow } from './segment';

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

function parseAddress(text: string, lineNo: number, what: string): SegmentAddress {
  const fields = text.split('|');
  if (fields.length !== 3 && fields.length !== 4) {
    throw new RecoverConfigError(
      `line ${lineNo}: ${what} '${text}' must be address|port|datadir or hostname|address|port|datadir`,
    );
  }
  const [hostname, address, portText, datadir] = fields.length === 4 ? fields : [undefined, ...fields];
  if (!address) throw new RecoverConfigError(`line ${lineNo}: ${what} has an empty address`);
  if (hostname !== undefined && !hostname) throw new RecoverConfigError(`line ${lineNo}: ${what} has an empty hostname`);
  const port = Number(portText);
  if (!/^\d+$/.test(portText ?? '') || port < 1 || port > 65535) {
    throw new RecoverConfigError(`line ${lineNo}: ${what} port '${portText}' is not a port number (1-65535)`);
  }
  if (!datadir || !datadir.startsWith('/')) {
    throw new RecoverConfigError(`line ${lineNo}: ${what} data directory '${datadir ?? ''}' must be an absolute path`);
  }
  return { ...(hostname ? { hostname } : {}), address, port, datadir: datadir.replace(/\/+$/, '') || '/' };
}

export function parseRecoverConfig(text: string): RecoverConfigLine[] {
  const lines: RecoverConfigLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let body = line;
    let type: LineType | undefined;
    // A one-letter first field is the type prefix: no real hostname is 'I', 'D' or 'F'.
    const prefix = /^([IDFidf])\|/.exec(body);
    const firstFields = body.split(/\s+/)[0].split('|').length;
    if (prefix && (firstFields === 4 || firstFields === 5)) {
      type = PREFIXES[prefix[1].toUpperCase()];
      body = body.slice(2);
    }
    const parts = body.split(/\s+/);
    if (parts.length > 2) {
      throw new RecoverConfigError(`line ${lineNo}: expected '<failed segment>' or '<failed segment> <new location>', found ${parts.length} fields`);
    }
    const failed = parseAddress(parts[0], lineNo, 'failed segment');
    const target = parts[1] !== undefined ? parseAddress(parts[1], lineNo, 'new location') : undefined;
    if (target && type && type !== 'full') {
      throw new RecoverConfigError(`line ${lineNo}: a move to a new location is always a full recovery; drop the ${type === 'incremental' ? 'I' : 'D'}| prefix`);
    }
    lines.push({ lineNo, ...(type ? { type } : {}), failed, ...(target ? { target } : {}) });
  });
  if (lines.length === 0) throw new RecoverConfigError('the recover config has no segment lines');
  const seen = new Map<string, number>();
  for (const l of lines) {
    const key = `${l.failed.address}|${l.failed.port}|${l.failed.datadir}`;
    const earlier = seen.get(key);
    if (earlier) throw new RecoverConfigError(`line ${l.lineNo}: segment ${key} is already listed on line ${earlier}`);
    seen.set(key, l.lineNo);
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
