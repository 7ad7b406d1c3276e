import { describe, expect, it } from 'vitest';
import { formatSampleConfig, parseRecoverConfig, RecoverConfigError } from '../../domain/recoverConfig';
import type { SegmentRow } from '../../domain/segment';

describe('gprecoverseg -i format', () => {
  it('parses in-place, hostname-first, moves, prefixes and comments', () => {
    const lines = parseRecoverConfig([
      '# failed mirrors',
      '127.0.0.2|7000|/data/mirror/gpseg0',
      '',
      'sdw2|127.0.0.3|7001|/data/mirror/gpseg1',
      'F|127.0.0.2|7002|/data/m/gpseg2 127.0.0.4|8000|/new/gpseg2',
      'd|sdw1|127.0.0.2|7003|/data/m/gpseg3/',
    ].join('\n'));
    expect(lines).toEqual([
      { lineNo: 2, failed: { address: '127.0.0.2', port: 7000, datadir: '/data/mirror/gpseg0' } },
      { lineNo: 4, failed: { hostname: 'sdw2', address: '127.0.0.3', port: 7001, datadir: '/data/mirror/gpseg1' } },
      {
        lineNo: 5, type: 'full',
        failed: { address: '127.0.0.2', port: 7002, datadir: '/data/m/gpseg2' },
        target: { address: '127.0.0.4', port: 8000, datadir: '/new/gpseg2' },
      },
      { lineNo: 6, type: 'differential', failed: { hostname: 'sdw1', address: '127.0.0.2', port: 7003, datadir: '/data/m/gpseg3' } },
    ]);
  });

  it.each([
    ['127.0.0.2|7000', /^line 1 of file the recover config: expected 3 or 4 parts on failed segment group, obtained 2$/],
    ['127.0.0.2|70x0|/data/d', /^Invalid port on line 1$/],
    ['127.0.0.2|70000|/data/d', /^Invalid port on line 1$/],
    ['127.0.0.2|7000|relative/dir', /^Invalid directory on line 1: data directory 'relative\/dir' is not an absolute path$/],
    ['a|1|/data/d b|2|/data/e c|3|/data/f', /^line 1 of file the recover config: expected 1 or 2 groups but found 3$/],
    ['a|1|/data/d h|b|2|/data/e', /^line 1 of file the recover config: expected equal parts, either 3 or 4 on both segment group, obtained 3 on group1 and 4 on group2$/],
    ['X|127.0.0.2|7000|/data/d', /^Invalid recovery type provided, please provide any of I,D,F,i,d,f as recovery_type$/],
    ['I|127.0.0.2|7000|/data/d 127.0.0.3|7000|/data/e', /always a full recovery; drop the I\| prefix/],
    ['a|1|/data/d\na|1|/data/d', /^config file lines 1 and 2 conflict: Cannot recover the same failed segment a and data directory \/data\/d twice\.$/],
    ['a|1|/data/d b|2|/data/x\nc|1|/data/e b|3|/data/x', /^config file lines 1 and 2 conflict: Cannot recover to the same segment b and data directory \/data\/x twice\.$/],
    ['a|1|/data/d b|2|/data/x\nb|2|/data/x', /^config file lines 1 and 2 conflict: Cannot recover segment b with data directory \/data\/x in place if it is used as a recovery segment\.$/],
    // Values that would reach pg_hba.conf, the catalog or a shell as something else than a host or a directory.
    ['sdw1|127.0.0.2|7000|/data/d all|all|7001|/data/e', /^Invalid hostname on line 1: hostname 'all' is a pg_hba.conf keyword, not a host$/],
    ['127.0.0.2|7000|/data/d samehost|7001|/data/e', /^Invalid address on line 1: address 'samehost' is a pg_hba.conf keyword, not a host$/],
    ['127.0.0.2|7000|/data/d samenet|7001|/data/e', /^Invalid address on line 1: address 'samenet' is a pg_hba.conf keyword, not a host$/],
    ['127.0.0.2|7000|/data/d +gpadmins|7001|/data/e', /^Invalid address on line 1: address '\+gpadmins' is not a host name/],
    ['127.0.0.2|7000|/data/d -oProxyCommand=x|7001|/data/e', /^Invalid address on line 1: address '-oProxyCommand=x' starts with '-'/],
    ['127.0.0.2|7000|/data/d 127.0.0.3|7001|/data/$(id)', /^Invalid directory on line 1: data directory '\/data\/\$\(id\)' holds characters other than/],
    ['127.0.0.2|7000|/data/d 127.0.0.3|7001|/data/x;reboot', /^Invalid directory on line 1: data directory '\/data\/x;reboot' holds characters other than/],
    ['127.0.0.2|7000|/data/../etc', /^Invalid directory on line 1: data directory '\/data\/..\/etc' is not normalized/],
  ])('rejects %j with a one-line reason', (text, reason) => {
    expect(() => parseRecoverConfig(text)).toThrow(RecoverConfigError);
    expect(() => parseRecoverConfig(text)).toThrow(reason);
  });

  it('writes a sample file that parses back to the failed segments', () => {
    const failed: SegmentRow[] = [
      { dbid: 6, content: 0, role: 'm', preferredRole: 'm', mode: 'n', status: 'd', port: 7000, hostname: 'sdw2', address: '127.0.0.3', datadir: '/m/gpseg0' },
    ];
    const parsed = parseRecoverConfig(formatSampleConfig(failed));
    expect(parsed.map((l) => l.failed)).toEqual([{ hostname: 'sdw2', address: '127.0.0.3', port: 7000, datadir: '/m/gpseg0' }]);
  });
});

describe('gprecoverseg -i edge cases', () => {
  it('an empty file, or one of comments only, has no segments to recover (gprecoverseg exits 0)', () => {
    expect(parseRecoverConfig('')).toEqual([]);
    expect(parseRecoverConfig('# nothing\n\n')).toEqual([]);
  });

  it('names the file in its messages when told it', () => {
    expect(() => parseRecoverConfig('a|1', '/tmp/recover.conf')).toThrow(/^line 1 of file \/tmp\/recover\.conf: expected 3 or 4 parts/);
  });
});
