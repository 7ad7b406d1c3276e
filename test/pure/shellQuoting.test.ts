import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandLine, shellQuote } from '../../cluster/exec/quote';

/** Remote login shells are POSIX shells; check both common ones where present. */
const SHELLS = [...new Set(['/bin/sh', '/bin/bash', '/bin/dash'].filter((s) => fs.existsSync(s)).map((s) => fs.realpathSync(s)))];

function runLine(shell: string, line: string): string {
  return execFileSync(shell, ['-c', line], { encoding: 'utf8' });
}

function echoBack(shell: string, args: string[]): string[] {
  return runLine(shell, commandLine(['printf', '%s\\0', ...args])).split('\0').slice(0, -1);
}

/** Deterministic, so a failure reproduces. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const SPECIAL = `'"\`$\\!*?[]{}()<>|&;#~=%,:@^ \t\n\r-+./`;
const CONTROL = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('') + '\x7f';
const ALPHABET = [...SPECIAL, ...CONTROL, ...'abcXYZ019', 'ü', '✓', '漢', '😀'];

function nastyString(rand: () => number): string {
  const len = Math.floor(rand() * 24);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes everything else', () => {
    expect(shellQuote('pg_ctl')).toBe('pg_ctl');
    expect(shellQuote('/usr/lib/postgresql/15/bin/initdb')).toBe('/usr/lib/postgresql/15/bin/initdb');
    expect(shellQuote('--pgdata=/data/p0')).toBe('--pgdata=/data/p0');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(id)')).toBe("'$(id)'");
    expect(shellQuote('*')).toBe("'*'");
    expect(shellQuote('~')).toBe("'~'");
  });
});

describe('commandLine', () => {
  it('joins quoted words and prefixes env assignments through env(1)', () => {
    expect(commandLine(['ls', '-l', 'a b'])).toBe("ls -l 'a b'");
    expect(commandLine(['pg_ctl', 'start'], { PGPORT: '6000', X: "a'b" })).toBe("env PGPORT=6000 'X=a'\\''b' pg_ctl start");
  });

  it('rejects an empty command and environment names that are not identifiers', () => {
    expect(() => commandLine([])).toThrow('empty command');
    for (const bad of ['A;B', 'A B', '1A', 'A=B', '$(id)', '']) {
      expect(() => commandLine(['true'], { [bad]: 'x' })).toThrow(`invalid environment variable name: ${bad}`);
    }
  });

  it('hostile arguments come back byte-identical from every shell and run nothing', () => {
    const marker = `/tmp/quote-pwned-${process.pid}-${Date.now()}`;
    const hostile = [
      `; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `'; touch ${marker}; '`,
      `"; touch ${marker}; "`,
      `\ntouch ${marker}\n`,
      `| touch ${marker}`,
      `& touch ${marker} &`,
      `> ${marker}`,
      `\\'; touch ${marker}; #`,
      '/data/primary/gp seg 0',
      "''''",
      '',
    ];
    for (const shell of SHELLS) {
      expect(echoBack(shell, hostile)).toEqual(hostile);
      expect(runLine(shell, commandLine(['printenv', 'V'], { V: hostile.join('\n') }))).toBe(`${hostile.join('\n')}\n`);
    }
    expect(fs.existsSync(marker)).toBe(false);
    // Control: the same strings unquoted do run as code, so the check above can fail.
    runLine('/bin/sh', `echo ${hostile[0]}`);
    expect(fs.existsSync(marker)).toBe(true);
    fs.rmSync(marker, { force: true });
  });

  it('round-trips random strings of quotes, globs, control characters and unicode through sh -c', () => {
    const rand = prng(0x5eed);
    for (let batch = 0; batch < 25; batch++) {
      const args = Array.from({ length: 20 }, () => nastyString(rand));
      for (const shell of SHELLS) expect(echoBack(shell, args)).toEqual(args);
    }
  });
});
