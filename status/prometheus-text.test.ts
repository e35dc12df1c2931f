import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleSum } from './prometheus-text.ts';

describe('parsePrometheusText', () => {
  it('reads samples with and without labels, skipping comments, blank lines and timestamps', () => {
    const text = [
      '# HELP logward_sidecar_usage_bytes Allocated bytes',
      '# TYPE logward_sidecar_usage_bytes gauge',
      'logward_sidecar_usage_bytes 1048576',
      '',
      'logward_sidecar_deleted_files_total{reason="over_max_age"} 3 1700000000000',
      'logward_sidecar_deleted_files_total{reason="leftover",} 1',
      'logward_sidecar_sweep_duration_seconds_bucket{le="+Inf"} 12',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual([
      { name: 'logward_sidecar_usage_bytes', labels: {}, value: 1048576 },
      { name: 'logward_sidecar_deleted_files_total', labels: { reason: 'over_max_age' }, value: 3 },
      { name: 'logward_sidecar_deleted_files_total', labels: { reason: 'leftover' }, value: 1 },
      { name: 'logward_sidecar_sweep_duration_seconds_bucket', labels: { le: '+Inf' }, value: 12 },
    ]);
  });

  it('reads escaped label values, exponents and special values', () => {
    const [a, b, c] = parsePrometheusText(
      ['m{path="C:\\\\logs",msg="say \\"hi\\"\\n"} 1.5e3', 'n +Inf', 'o NaN'].join('\n'),
    );
    expect(a).toEqual({ name: 'm', labels: { path: 'C:\\logs', msg: 'say "hi"\n' }, value: 1500 });
    expect(b?.value).toBe(Number.POSITIVE_INFINITY);
    expect(c?.value).toBeNaN();
  });

  it('skips a line that does not parse and keeps the others', () => {
    expect(parsePrometheusText('broken{a="x 1\nok 2\nbad value\n').map((s) => s.name)).toEqual(['ok']);
  });

  it('sums the samples of a name, filtered by labels, and says when there is none', () => {
    const samples = parsePrometheusText('d{reason="a"} 1\nd{reason="b"} 2\n');
    expect(sampleSum(samples, 'd')).toBe(3);
    expect(sampleSum(samples, 'd', { reason: 'b' })).toBe(2);
    expect(sampleSum(samples, 'missing')).toBeUndefined();
  });
});
