import { describe, expect, it } from 'vitest';
import { formatSampleConfig, parseRecoverConfig, RecoverConfigError } from '../domain/recoverConfig';
import type { SegmentRow } from '../domain/segment';

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
    ['127.0.0.2|7000', /line 1: failed segment '127.0.0.2\|7000' must be address\|port\|datadir/],
    ['127.0.0.2|70x0|/d', /line 1: failed segment port '70x0' is not a port number/],
    ['127.0.0.2|70000|/d', /port '70000' is not a port number/],
    ['127.0.0.2|7000|relative/dir', /must be an absolute path/],
    ['a|1|/d b|2|/e c|3|/f', /found 3 fields/],
    ['I|127.0.0.2|7000|/d 127.0.0.3|7000|/e', /always a full recovery; drop the I\| prefix/],
    ['# only a comment', /no segment lines/],
    ['a|1|/d\na|1|/d', /line 2: segment a\|1\|\/d is already listed on line 1/],
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
