import type { ToolCheck } from './types';

// Messages of the tools are translated; the checks read exit codes and option names only, in the C locale anyway.
const C_LOCALE = { LC_ALL: 'C' };

/** `tool --version` exits 0: the program is there and loads (its libraries, the environment script's paths). */
export function runsCheck(bin: string, tool: string): ToolCheck {
  return {
    tool,
    needs: 'runs (--version)',
    command: { argv: [`${bin}/${tool}`, '--version'], env: C_LOCALE },
    fits: (code) => code === 0,
  };
}

/**
 * Whether pg_basebackup takes `--target-gp-dbid`, without running a copy: given only that option, Greenplum's and
 * Cloudberry's parse it and stop at the missing -D ("no target directory specified"), before any connection or
 * directory; PostgreSQL's stops at the option itself ("unrecognized option '--target-gp-dbid=1'"). 126/127: no program.
 */
export function targetDbidCheck(bin: string): ToolCheck {
  return {
    tool: 'pg_basebackup',
    needs: "takes --target-gp-dbid (Greenplum's pg_basebackup)",
    command: { argv: [`${bin}/pg_basebackup`, '--target-gp-dbid=1'], env: C_LOCALE },
    fits: (code, output) => code !== 0 && code < 126 && !output.includes('target-gp-dbid'),
  };
}
