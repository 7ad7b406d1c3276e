// gp_role in postgres command-line options and PGOPTIONS: PostgreSQL 15 does not know the setting.

const GP_ROLE_RE = /(^|\s)(?:-c\s*|--)gp[_-]role=(\S*)/g;

/** The gp_role an option string (pg_ctl -o, PGOPTIONS) sets, the last one winning; undefined when none. */
export function gpRoleIn(options: string | undefined): string | undefined {
  let role: string | undefined;
  for (const m of (options ?? '').matchAll(GP_ROLE_RE)) role = m[2].replace(/^['"]|['"]$/g, '');
  return role;
}

/** The option string without its gp_role settings, which PostgreSQL 15 does not know. */
export function withoutGpRole(options: string): string {
  return options.replace(GP_ROLE_RE, '$1').replace(/\s{2,}/g, ' ');
}
