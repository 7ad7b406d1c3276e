// libpq connection strings, keyword=value or a URI, parsed and written as libpq and fe_utils do.

export type Conninfo = Array<[string, string]>;

export function isUri(s: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(s);
}

/** keyword=value conninfo (libpq's conninfo_parse) or a postgresql:// URI, in order. */
export function parseConninfo(s: string): Conninfo {
  if (isUri(s)) {
    const u = new URL(s.replace(/^postgres(?:ql)?:/, 'http:'));
    const out: Conninfo = [];
    if (u.username) out.push(['user', decodeURIComponent(u.username)]);
    if (u.password) out.push(['password', decodeURIComponent(u.password)]);
    if (u.hostname) out.push(['host', u.hostname.replace(/^\[|\]$/g, '')]);
    if (u.port) out.push(['port', u.port]);
    const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (db) out.push(['dbname', db]);
    for (const [k, v] of u.searchParams) out.push([k, v]);
    return out;
  }
  const out: Conninfo = [];
  let i = 0;
  const n = s.length;
  const skipWs = () => {
    while (i < n && /\s/.test(s[i])) i++;
  };
  for (;;) {
    skipWs();
    if (i >= n) break;
    let key = '';
    while (i < n && s[i] !== '=' && !/\s/.test(s[i])) key += s[i++];
    skipWs();
    if (s[i] !== '=') throw new Error(`missing "=" after "${key}" in connection info string`);
    i++;
    skipWs();
    let val = '';
    if (s[i] === "'") {
      i++;
      for (;;) {
        if (i >= n) throw new Error('unterminated quoted string in connection info string');
        if (s[i] === '\\' && i + 1 < n) {
          val += s[i + 1];
          i += 2;
        } else if (s[i] === "'") {
          i++;
          break;
        } else val += s[i++];
      }
    } else {
      while (i < n && !/\s/.test(s[i])) {
        if (s[i] === '\\' && i + 1 < n) {
          val += s[i + 1];
          i += 2;
        } else val += s[i++];
      }
    }
    out.push([key, val]);
  }
  return out;
}

/** fe_utils' appendConnStrVal: bare when only [A-Za-z0-9_.], else single-quoted with \ before ' and \. */
function connStrVal(v: string): string {
  if (v !== '' && /^[A-Za-z0-9_.]+$/.test(v)) return v;
  return `'${v.replace(/(['\\])/g, '\\$1')}'`;
}

export function formatConninfo(ci: Conninfo): string {
  return ci.map(([k, v]) => `${k}=${connStrVal(v)}`).join(' ');
}

export function conninfoGet(ci: Conninfo, key: string): string | undefined {
  let v: string | undefined;
  for (const [k, val] of ci) if (k === key) v = val;
  return v;
}

/** Sets key (in place of its first occurrence, dropping the others), or appends it. */
export function conninfoSet(ci: Conninfo, key: string, value: string): Conninfo {
  const out: Conninfo = [];
  let done = false;
  for (const [k, v] of ci) {
    if (k !== key) out.push([k, v]);
    else if (!done) {
      out.push([k, value]);
      done = true;
    }
  }
  if (!done) out.push([key, value]);
  return out;
}
