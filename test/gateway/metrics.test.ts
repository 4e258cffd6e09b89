import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../gateway/metrics.js';

const bucket = (text: string, le: string) =>
  Number(
    new RegExp(`acode_gateway_request_duration_seconds_bucket\\{provider="p",le="${le}"\\} (\\d+)`).exec(text)?.[1],
  );

describe('GatewayMetrics', () => {
  it('counts each latency in every bucket that holds it (cumulative), with sum and count', () => {
    const m = new GatewayMetrics();
    m.request('p', 'ok', 3); // 0.003 s
    m.request('p', 'ok', 10); // exactly on the 0.01 bound
    m.request('p', 'STREAM_INTERRUPTED', 700);
    m.request('p', 'ok', 500_000); // past the last bound: only +Inf
    const text = m.render([]);
    expect([bucket(text, '0.005'), bucket(text, '0.01'), bucket(text, '0.5'), bucket(text, '1')]).toEqual([1, 2, 2, 3]);
    expect(bucket(text, '120')).toBe(3);
    expect(bucket(text, '\\+Inf')).toBe(4);
    expect(text).toContain('acode_gateway_request_duration_seconds_count{provider="p"} 4');
    expect(text).toContain('acode_gateway_requests_total{provider="p",outcome="ok"} 3');
    expect(text).toContain('acode_gateway_requests_total{provider="p",outcome="STREAM_INTERRUPTED"} 1');
  });

  it('escapes label values', () => {
    const m = new GatewayMetrics();
    m.firstToken('a"b\\c', 1);
    expect(m.render([])).toContain('acode_gateway_time_to_first_token_seconds_count{provider="a\\"b\\\\c"} 1');
  });
});
