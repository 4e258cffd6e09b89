// `GET /metrics` of a running `acode serve`, read as Prometheus would: after an answer and a crash of
// the managed server that the gateway restarts on its own (no request in flight), the counters say so.
import { describe, expect, it } from 'vitest';
import { STAGED_GGUF, freePort } from '../servers/harness.js';
import { providerYaml } from '../e2e/project.js';
import { liveGateways } from './live-gateway.js';
import { until } from '../support/processes.js';

const gateway = liveGateways();

interface Status {
  id: string;
  state: string;
  pid: number | null;
}

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('acode serve: /metrics', () => {
  it('counts answers, time to first token, and a restart of a crashed server while no request runs', async () => {
    const { url } = await gateway(
      `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: STAGED_GGUF, port: await freePort() })}`,
    );
    const status = async (): Promise<Status> =>
      ((await (await fetch(`${url}/acode/status`)).json()) as Status[]).find((s) => s.id === 'llamacpp')!;

    const answer = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llamacpp', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(answer.status).toBe(200);
    await answer.text();
    const first = await status();
    expect(first).toMatchObject({ state: 'healthy' });

    process.kill(first.pid!, 'SIGKILL');
    await until(
      async () => {
        const now = await status();
        return now.state === 'healthy' && now.pid !== first.pid;
      },
      { timeoutMs: 30_000, what: 'the gateway to restart the killed llama-server' },
    );

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(sample(metrics, 'acode_gateway_requests_total{provider="llamacpp",outcome="ok"}')).toBe(1);
    expect(sample(metrics, 'acode_gateway_time_to_first_token_seconds_count{provider="llamacpp"}')).toBe(1);
    expect(sample(metrics, 'acode_provider_restarts_total{provider="llamacpp"}')).toBe(1);
    expect(sample(metrics, 'acode_provider_up{provider="llamacpp"}')).toBe(1);
    expect(sample(metrics, 'acode_provider_state{provider="llamacpp",state="healthy"}')).toBe(1);
  });
});
