// The gateway's counters in Prometheus text format (version 0.0.4): requests by provider and outcome,
// latency and time-to-first-token histograms, retries, resumes, fallbacks, restarts, and each provider's
// state.
// Hand-written: four metric kinds do not justify prom-client's registry and its default collectors.
import type { ProviderStatus } from '../machines/index.js';

const BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  observe(label: string, seconds: number): void {
    let s = this.series.get(label);
    if (!s) {
      s = { counts: BUCKETS_S.map(() => 0), sum: 0, count: 0 };
      this.series.set(label, s);
    }
    // Buckets are cumulative: every bucket from the first that holds the value up counts it.
    for (let i = BUCKETS_S.length - 1; i >= 0 && seconds <= BUCKETS_S[i]!; i--) s.counts[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }

  render(name: string, help: string): string {
    let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
    for (const [provider, s] of this.series) {
      const label = escape(provider);
      BUCKETS_S.forEach((b, i) => {
        out += `${name}_bucket{provider="${label}",le="${b}"} ${s.counts[i]}\n`;
      });
      out += `${name}_bucket{provider="${label}",le="+Inf"} ${s.count}\n${name}_sum{provider="${label}"} ${s.sum}\n${name}_count{provider="${label}"} ${s.count}\n`;
    }
    return out;
  }
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

// Labels are escaped when /metrics is rendered, not on every request they count.
export class GatewayMetrics {
  private readonly requests = new Map<string, { provider: string; outcome: string; n: number }>();
  private readonly latency = new Histogram();
  private readonly ttft = new Histogram();
  private retries = 0;
  private resumes = 0;
  private readonly fallbacks = new Map<string, number>();
  private readonly restarts = new Map<string, number>();
  private readonly lastState = new Map<string, string>();

  request(provider: string, outcome: string, ms: number): void {
    const key = `${provider}\0${outcome}`;
    const counted = this.requests.get(key);
    if (counted) counted.n += 1;
    else this.requests.set(key, { provider, outcome, n: 1 });
    this.latency.observe(provider, ms / 1000);
  }

  firstToken(provider: string, ms: number): void {
    this.ttft.observe(provider, ms / 1000);
  }

  retry(): void {
    this.retries += 1;
  }

  resume(): void {
    this.resumes += 1;
  }

  fallback(from: string): void {
    this.fallbacks.set(from, (this.fallbacks.get(from) ?? 0) + 1);
  }

  /** Every status change of a provider: entering `restarting` counts a restart (by acode, of a crash). */
  observe(status: ProviderStatus): void {
    const before = this.lastState.get(status.id);
    this.lastState.set(status.id, status.state);
    if (status.state === 'restarting' && before !== 'restarting')
      this.restarts.set(status.id, (this.restarts.get(status.id) ?? 0) + 1);
  }

  render(statuses: readonly ProviderStatus[]): string {
    let out =
      '# HELP acode_gateway_requests_total Requests answered, by provider and outcome (ok or an error code).\n# TYPE acode_gateway_requests_total counter\n';
    for (const { provider, outcome, n } of this.requests.values())
      out += `acode_gateway_requests_total{provider="${escape(provider)}",outcome="${escape(outcome)}"} ${n}\n`;
    out += this.latency.render('acode_gateway_request_duration_seconds', 'Time from request to the end of the answer.');
    out += this.ttft.render(
      'acode_gateway_time_to_first_token_seconds',
      'Time from request to the first text of the answer.',
    );
    out += `# HELP acode_gateway_retries_total Requests re-sent after a server failed them.\n# TYPE acode_gateway_retries_total counter\nacode_gateway_retries_total ${this.retries}\n`;
    out += `# HELP acode_gateway_resumes_total Answers continued after a crash mid-stream.\n# TYPE acode_gateway_resumes_total counter\nacode_gateway_resumes_total ${this.resumes}\n`;
    out +=
      '# HELP acode_gateway_fallbacks_total Requests passed from a provider to the next.\n# TYPE acode_gateway_fallbacks_total counter\n';
    for (const [from, n] of this.fallbacks) out += `acode_gateway_fallbacks_total{provider="${escape(from)}"} ${n}\n`;
    out +=
      '# HELP acode_provider_restarts_total Restarts of a crashed server while the gateway ran.\n# TYPE acode_provider_restarts_total counter\n';
    for (const s of statuses)
      out += `acode_provider_restarts_total{provider="${escape(s.id)}"} ${this.restarts.get(s.id) ?? 0}\n`;
    out += '# HELP acode_provider_up 1 when the provider is healthy.\n# TYPE acode_provider_up gauge\n';
    for (const s of statuses) out += `acode_provider_up{provider="${escape(s.id)}"} ${s.state === 'healthy' ? 1 : 0}\n`;
    out +=
      "# HELP acode_provider_state The provider's service state (1 for the current one).\n# TYPE acode_provider_state gauge\n";
    for (const s of statuses) out += `acode_provider_state{provider="${escape(s.id)}",state="${escape(s.state)}"} 1\n`;
    return out;
  }
}
