import { parseArgs } from 'node:util';
import { UsageError } from './errors';

/** One option of a command: what parses it and what its help says, in one place. */
export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder of the value in the help: 'GB', 'FILE'. */
  arg?: string;
  help: string;
  /** gprecoverseg's spelling, when it has the option (for the README's table). */
  gprecoverseg?: string;
}

export type OptionDefs = Record<string, OptionDef>;

export interface CommandDef<O extends OptionDefs> {
  name: string;
  /** What follows the command name in the usage line, beyond [options]: 'WORKFLOW_ID'. */
  positionals?: string;
  summary: string;
  options: O;
  /** Lines after the options (exit codes, examples). */
  notes?: string[];
}

type Values<O extends OptionDefs> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };

export function defineCommand<const O extends OptionDefs>(def: CommandDef<O>): CommandDef<O> {
  return def;
}

/** `-F`, `--differential`, `-r, --rebalance`: a one-letter name is a short flag only. */
function spelling(name: string, def: OptionDef): string {
  const long = name.length === 1 ? `-${name}` : `--${name}`;
  const both = def.short && def.short !== name ? `-${def.short}, ${long}` : long;
  return def.arg ? `${both} ${def.arg}` : both;
}

/** The command's help, generated from its option definitions, so the two cannot drift apart. */
export function commandHelp<O extends OptionDefs>(def: CommandDef<O>): string {
  const entries = Object.entries(def.options).map(([name, o]) => [spelling(name, o), o.help] as const);
  const width = Math.min(28, Math.max(...entries.map(([s]) => s.length)));
  const lines = [`usage: gprecover ${def.name} [options]${def.positionals ? ` ${def.positionals}` : ''}`, def.summary];
  for (const [s, help] of entries) lines.push(`  ${s.padEnd(width)}  ${help}`);
  lines.push(`  ${'-h, --help'.padEnd(width)}  this help`);
  return [...lines, ...(def.notes ?? [])].join('\n');
}

/** node:util parseArgs over the definitions; its errors become one-line usage errors. `help` is the -h/--help flag. */
export function parseCommand<O extends OptionDefs>(def: CommandDef<O>, argv: string[]): { values: Values<O>; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(def.options)) options[name] = { type: o.type, ...(o.short && o.short !== name ? { short: o.short } : name.length === 1 ? { short: name } : {}) };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: def.positionals !== undefined, strict: true });
    const { help, ...rest } = values as Record<string, unknown>;
    return { values: rest as Values<O>, positionals, help: help === true };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

export function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not '${value}'`);
  return n;
}

export function numberOption(value: string | undefined, name: string, what: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`${name} must be ${what}, not '${value}'`);
  return n;
}
