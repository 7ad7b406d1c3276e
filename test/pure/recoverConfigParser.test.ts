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
    ['127.0.0.2|70x0|/d', /^Invalid port on line 1$/],
    ['127.0.0.2|70000|/d', /^Invalid port on line 1$/],
    ['127.0.0.2|7000|relative/dir', /^Invalid directory on line 1$/],
    ['a|1|/d b|2|/e c|3|/f', /^line 1 of file the recover config: expected 1 or 2 groups but found 3$/],
    ['a|1|/d h|b|2|/e', /^line 1 of file the recover config: expected equal parts, either 3 or 4 on both segment group, obtained 3 on group1 and 4 on group2$/],
    ['X|127.0.0.2|7000|/d', /^Invalid recovery type provided, please provide any of I,D,F,i,d,f as recovery_type$/],
    ['I|127.0.0.2|7000|/d 127.0.0.3|7000|/e', /always a full recovery; drop the I\| prefix/],
    ['a|1|/d\na|1|/d', /^config file lines 1 and 2 conflict: Cannot recover the same failed segment a and data directory \/d twice\.$/],
    ['a|1|/d b|2|/x\nc|1|/e b|3|/x', /^config file lines 1 and 2 conflict: Cannot recover to the same segment b and data directory \/x twice\.$/],
    ['a|1|/d b|2|/x\nb|2|/x', /^config file lines 1 and 2 conflict: Cannot recover segment b with data directory \/x in place if it is used as a recovery segment\.$/],
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
