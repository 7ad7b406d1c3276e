/** POSIX sh single-quoting: the result is one word whatever the argument holds. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** One command line for a remote shell, built only from an argument array (never from concatenated strings). */
export function commandLine(argv: string[], env?: Record<string, string>): string {
  if (argv.length === 0) throw new Error('empty command');
  const envPart = env && Object.keys(env).length
    ? ['env', ...Object.entries(env).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`);
        return shellQuote(`${k}=${v}`);
      })]
    : [];
  return [...envPart, ...argv.map(shellQuote)].join(' ');
}
