// getopt_long, as far as the wrappers need it: they parse a tool's argv, act on some options and hand the rest on.

export interface OptSpec {
  /** Canonical name: the long option's name. */
  name: string;
  short?: string;
  /** Whether the option takes a value (required_argument). */
  arg: boolean;
  /** Only a short spelling exists (pg_ctl's -e, -p …): never emitted as --name. */
  shortOnly?: boolean;
}

interface ParsedOpt {
  name: string;
  value?: string;
  /** false for an option the spec does not know; it is passed on as it came. */
  known: boolean;
  /** The argv tokens it came from (one or two), for passing it on unchanged. */
  tokens: string[];
}

export interface ParsedArgs {
  opts: ParsedOpt[];
  positional: string[];
}

/**
 * Parses argv like GNU getopt_long with permutation: short clusters (-vP), attached values (-Dx, --x=v), separate
 * values (-D x, --x v) and unambiguous long prefixes. Unknown options are kept (known: false) so the real tool can
 * reject them itself.
 */
export function parseArgs(argv: string[], specs: OptSpec[]): ParsedArgs {
  const opts: ParsedOpt[] = [];
  const positional: string[] = [];
  const longs = specs.filter((s) => !s.shortOnly);
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = tok.slice(2, eq < 0 ? undefined : eq);
      const exact = longs.find((s) => s.name === name);
      const prefixed = longs.filter((s) => s.name.startsWith(name));
      const spec = exact ?? (prefixed.length === 1 && name.length > 0 ? prefixed[0] : undefined);
      if (!spec) {
        opts.push({ name, value: eq < 0 ? undefined : tok.slice(eq + 1), known: false, tokens: [tok] });
        continue;
      }
      if (spec.arg && eq < 0) {
        const value = argv[i + 1];
        opts.push({ name: spec.name, value, known: true, tokens: value === undefined ? [tok] : [tok, value] });
        i++;
      } else {
        opts.push({ name: spec.name, value: spec.arg ? tok.slice(eq + 1) : undefined, known: true, tokens: [tok] });
      }
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      for (let j = 1; j < tok.length; j++) {
        const ch = tok[j];
        const spec = specs.find((s) => s.short === ch);
        const single = j === 1 && tok.length === 2;
        if (!spec) {
          opts.push({ name: ch, known: false, tokens: [`-${ch}`] });
          continue;
        }
        if (!spec.arg) {
          opts.push({ name: spec.name, known: true, tokens: [`-${ch}`] });
          continue;
        }
        if (j + 1 < tok.length) {
          const value = tok.slice(j + 1);
          opts.push({ name: spec.name, value, known: true, tokens: j === 1 ? [tok] : [`-${ch}${value}`] });
        } else {
          const value = argv[i + 1];
          opts.push({ name: spec.name, value, known: true, tokens: value === undefined ? [`-${ch}`] : [single ? tok : `-${ch}`, value] });
          i++;
        }
        break;
      }
      continue;
    }
    positional.push(tok);
  }
  return { opts, positional };
}

/** The value of the last occurrence, as getopt's callers that overwrite a variable see it. */
export function lastValue(parsed: ParsedArgs, name: string): string | undefined {
  let v: string | undefined;
  for (const o of parsed.opts) if (o.name === name && o.known) v = o.value;
  return v;
}

export function has(parsed: ParsedArgs, name: string): boolean {
  return parsed.opts.some((o) => o.known && o.name === name);
}

export function values(parsed: ParsedArgs, name: string): string[] {
  return parsed.opts.filter((o) => o.known && o.name === name && o.value !== undefined).map((o) => o.value!);
}

/** argv for the real tool: every option except the dropped ones, as it came, then the positional words. */
export function rebuild(parsed: ParsedArgs, drop: Set<string>): string[] {
  const out: string[] = [];
  for (const o of parsed.opts) if (!(o.known && drop.has(o.name))) out.push(...o.tokens);
  if (parsed.positional.length) out.push(...parsed.positional);
  return out;
}

/** C's atoi: leading blanks, optional sign, digits; anything else ends it; no digits is 0. */
export function atoi(s: string | undefined): number {
  const m = /^\s*([+-]?\d+)/.exec(s ?? '');
  return m ? Number.parseInt(m[1], 10) : 0;
}
