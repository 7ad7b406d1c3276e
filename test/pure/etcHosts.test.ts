// The demo's /etc/hosts lines: every process's resolver reads the file at any moment while test forks add and remove
// their clusters' lines. A reader must never find another cluster's line missing (a getaddrinfo ENOTFOUND mid-test).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addHostNames, removeHostNames } from '../../demo/etcHosts';

describe('demo host names in a hosts file (demo/etcHosts.ts)', () => {
  it('a reader never misses a line of another cluster while lines are added and removed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gprecover-hosts-'));
    const file = path.join(dir, 'hosts');
    try {
      fs.writeFileSync(file, '127.0.0.1 localhost\n');
      await addHostNames('/demo/other', { 'other-sdw1': ['127.0.9.1'] }, file);
      // A reader as the resolver is: the whole file, read again and again, in another process.
      fs.writeFileSync(`${file}.run`, '');
      const reader = spawn('sh', ['-c', 'n=0; reads=0; while [ -e "$1.run" ]; do reads=$((reads+1)); grep -q "^127.0.9.1 other-sdw1 " "$1" || n=$((n+1)); done; echo "$n $reads"', 'reader', file]);
      let out = '';
      reader.stdout.on('data', (c) => (out += c));
      const ended = new Promise((r) => reader.once('exit', r));
      for (let i = 0; i < 300; i++) {
        await addHostNames('/demo/mine', { 'mine-sdw1': ['127.0.8.1', '127.128.8.1'], 'mine-sdw2': ['127.0.8.2'] }, file);
        await removeHostNames('/demo/mine', file);
      }
      fs.rmSync(`${file}.run`);
      await ended;
      const [missing, reads] = out.trim().split(' ').map(Number);
      expect(reads, 'the reader read the file while it was rewritten').toBeGreaterThan(50);
      expect(missing, 'reads that found the other cluster\'s line missing').toBe(0);
      expect(fs.readFileSync(file, 'utf8')).toBe('127.0.0.1 localhost\n127.0.9.1 other-sdw1 # gprecover-demo /demo/other\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
