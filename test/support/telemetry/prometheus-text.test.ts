import { describe, expect, it } from 'vitest';
import { findSamples, parsePrometheusText, PrometheusTextError, sumSamples } from './prometheus-text.ts';

const valid = `# HELP http_requests_total The total number of HTTP requests.\\nSecond line \\\\ done
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400",} 3 1395066363000
# A plain comment
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# TYPE rpc_duration_seconds histogram
rpc_duration_seconds_bucket{le="0.05"} 24054
rpc_duration_seconds_bucket{le="0.1"} 33444
rpc_duration_seconds_bucket{le="+Inf"} 144320
rpc_duration_seconds_sum 53423
rpc_duration_seconds_count 144320
# TYPE temperature gauge
temperature -Inf
temperature{room="b"} NaN
`;

function rejects(text: string, message: RegExp, line?: number): void {
  try {
    parsePrometheusText(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PrometheusTextError);
    expect((error as Error).message).toMatch(message);
    if (line !== undefined) expect((error as PrometheusTextError).line).toBe(line);
    return;
  }
  expect.fail(`accepted: ${text}`);
}

describe('parsePrometheusText', () => {
  it('parses families, help escapes, label escapes, timestamps and special values', () => {
    const families = parsePrometheusText(valid);
    expect(families.map((family) => [family.name, family.type])).toEqual([
      ['http_requests_total', 'counter'],
      ['msdos_file_access_time_seconds', 'untyped'],
      ['rpc_duration_seconds', 'histogram'],
      ['temperature', 'gauge'],
    ]);
    expect(families[0]?.help).toBe('The total number of HTTP requests.\nSecond line \\ done');
    expect(findSamples(families, 'http_requests_total', { code: '400' })).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '400' },
        value: 3,
        timestamp: 1395066363000,
      },
    ]);
    expect(findSamples(families, 'msdos_file_access_time_seconds')[0]?.labels).toEqual({
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    expect(sumSamples(families, 'rpc_duration_seconds_count')).toBe(144320);
    expect(findSamples(families, 'temperature', {})[0]?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(findSamples(families, 'temperature', { room: 'b' })[0]?.value)).toBe(true);
  });

  it('accepts an empty exposition', () => {
    expect(parsePrometheusText('')).toEqual([]);
  });

  it('rejects malformed lines', () => {
    rejects('metric 1', /newline/);
    rejects('9metric 1\n', /invalid sample line/, 1);
    rejects('metric\n', /missing or malformed value/, 1);
    rejects('metric one\n', /invalid sample value/, 1);
    rejects('metric{a="1"\n', /expected , or }/, 1);
    rejects('metric{a="1} 2\n', /unterminated/, 1);
    rejects('metric{a="\\t"} 2\n', /invalid escape/, 1);
    rejects('metric{a=1} 2\n', /expected =" after label a/, 1);
    rejects('metric{a="1",a="2"} 2\n', /duplicate label a/, 1);
    rejects('metric{-a="1"} 2\n', /invalid label name/, 1);
    rejects('metric 1 12.5\n', /invalid timestamp/, 1);
    rejects('metric 1 2 3\n', /missing or malformed value/, 1);
    rejects('# TYPE metric countr\n', /unknown metric type/, 1);
    rejects('# HELP metric a \\t b\n', /invalid escape/, 1);
  });

  it('rejects structural mistakes', () => {
    rejects('# TYPE m counter\n# TYPE m counter\n', /second TYPE/, 2);
    rejects('# HELP m a\n# HELP m b\n', /second HELP/, 2);
    rejects('m 1\n# TYPE m counter\n', /TYPE for m after its samples/, 2);
    rejects('a 1\nb 1\na{x="y"} 2\n', /not contiguous/, 3);
    rejects('a 1\na 2\n', /duplicate series/, 2);
    rejects('# TYPE c counter\nc -1\n', /counter c has value -1/, 2);
  });

  it('validates histogram buckets', () => {
    const histogram = (buckets: string, count: string): string =>
      `# TYPE h histogram\n${buckets}h_sum 1\nh_count ${count}\n`;
    expect(() =>
      parsePrometheusText(histogram('h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n', '2')),
    ).not.toThrow();
    rejects(histogram('h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n', '3'), /\+Inf bucket 2 != _count 3/, 3);
    rejects(histogram('h_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\n', '2'), /not cumulative/, 3);
    rejects(
      histogram('h_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n', '2'),
      /not increasing/,
      3,
    );
    rejects(histogram('h_bucket{le="1"} 1\n', '1'), /no \+Inf bucket/);
    rejects('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\n', /no _count/);
    rejects('# TYPE h histogram\nh_bucket{x="1"} 1\n', /without an le label/, 2);
    // per label set: one series valid, the other not
    rejects(
      '# TYPE h histogram\nh_bucket{a="x",le="+Inf"} 1\nh_bucket{a="y",le="+Inf"} 1\nh_count{a="x"} 1\nh_count{a="y"} 2\n',
      /h\{a="y"\}/,
    );
  });
});
