// postgresql.auto.conf and internal.auto.conf as Greenplum's tools leave them in a copied data directory.
import fs from 'node:fs';
import path from 'node:path';
import { WALRECEIVER_APPLICATION_NAME } from '../../domain/names';
import { conninfoSet, formatConninfo, parseConninfo } from './conninfo';

export const INTERNAL_AUTO_CONF = 'internal.auto.conf';
export const AUTO_CONF = 'postgresql.auto.conf';

/** GUC file string quoting, as fe_utils' escape_quotes does before recovery_gen writes a value. */
export function gucQuote(v: string): string {
  return `'${v.replace(/(['\\])/g, '$1$1')}'`;
}

function gucUnquote(body: string): string {
  return body.replace(/''|\\(.)/g, (m, c: string | undefined) => (m === "''" ? "'" : c ?? ''));
}

const PRIMARY_CONNINFO_RE = /^(\s*primary_conninfo\s*=\s*)'((?:[^'\\]|''|\\.)*)'(.*)$/gm;

/** Every primary_conninfo of a postgresql.auto.conf text with application_name=gp_walreceiver (replaced or added). */
export function withWalreceiverName(autoConf: string): string {
  return autoConf.replace(PRIMARY_CONNINFO_RE, (_m, pre: string, body: string, post: string) => {
    const ci = conninfoSet(parseConninfo(gucUnquote(body)), 'application_name', WALRECEIVER_APPLICATION_NAME);
    return `${pre}${gucQuote(formatConninfo(ci))}${post}`;
  });
}

export function fixPrimaryConninfo(datadir: string): void {
  const file = path.join(datadir, AUTO_CONF);
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const next = withWalreceiverName(text);
  if (next !== text) fs.writeFileSync(file, next);
}

/** gp_dbid from a data directory's internal.auto.conf; undefined without the file or the setting. */
export function dbidOf(datadir: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(datadir, INTERNAL_AUTO_CONF), 'utf8');
  } catch {
    return undefined;
  }
  let dbid: number | undefined;
  for (const m of text.matchAll(/^\s*gp_dbid\s*=\s*'?(-?\d+)'?\s*(?:#.*)?$/gm)) dbid = Number(m[1]);
  return dbid;
}

/**
 * What Greenplum's WriteInternalConfFile writes: the file truncated to exactly `gp_dbid=N\n`. `fresh` replaces the
 * file (a copy's, which Greenplum's pg_basebackup would never have received from the source) rather than keeping its
 * mode.
 */
export function writeInternalConf(datadir: string, dbid: number, fresh = false): void {
  const file = path.join(datadir, INTERNAL_AUTO_CONF);
  if (fresh) fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `gp_dbid=${dbid}\n`, { mode: 0o600 });
}
