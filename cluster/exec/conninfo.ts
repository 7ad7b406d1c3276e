/** libpq's quoting of a conninfo value (fe_utils appendConnStrVal): bare only when it is [A-Za-z0-9_.], else quoted. */
export function conninfoValue(v: string): string {
  if (v !== '' && /^[A-Za-z0-9_.]+$/.test(v)) return v;
  return `'${v.replace(/(['\\])/g, '\\$1')}'`;
}

/** A keyword=value conninfo string, every value quoted as libpq needs it, whatever the value holds. */
export function conninfo(fields: Record<string, string | undefined>): string {
  return Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${conninfoValue(v!)}`).join(' ');
}
