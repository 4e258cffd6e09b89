// The stderr progress line while starting names what the server logs about its load, in 10 % steps,
// so a download of gigabytes prints a handful of lines, not one per redraw.
import { describe, expect, it } from 'vitest';
import { progressLine, type ProviderStatus } from '../../machines/index.js';

const starting = (load: ProviderStatus['load']): ProviderStatus => ({
  id: 'vllm',
  kind: 'vllm',
  baseUrl: 'http://127.0.0.1:8000',
  lifecycle: 'managed',
  state: 'starting',
  load,
});

describe('progressLine while starting', () => {
  it('is the bare state until the log says something', () => {
    expect(progressLine(starting(null))).toBe('vllm: starting');
  });

  it('names the bar without its count, at the 10 % step it reached; a milestone line as it is', () => {
    const bar = (percent: number, text: string) => progressLine(starting({ phase: 'download', percent, text }));
    expect(bar(12, 'model-00001-of-00004.safetensors 598M/4.98G')).toBe(
      'vllm: starting, downloading model-00001-of-00004.safetensors 10%',
    );
    expect(bar(19, 'model-00001-of-00004.safetensors 946M/4.98G')).toBe(
      bar(12, 'model-00001-of-00004.safetensors 598M/4.98G'),
    );
    expect(
      progressLine(
        starting({
          phase: 'init',
          percent: null,
          text: 'init engine (profile, create kv cache, warmup model) took 25.99 seconds',
        }),
      ),
    ).toBe('vllm: starting, warming up: init engine (profile, create kv cache, warmup model) took 25.99 seconds');
  });
});
