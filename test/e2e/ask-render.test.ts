// What `acode ask` prints around an answer: the restart notice comes before the new answer, retries and
// fallbacks are one stderr line each, and --json is one object at the end.
import { describe, expect, it } from 'vitest';
import { answerPrinter } from '../../cli/commands/ask.js';
import type { Answer } from '../../machines/index.js';

function sinks() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    deps: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
      env: {},
    },
  };
}

const result = (over: Partial<Answer> = {}): Answer => ({
  text: 'One two three.',
  provider: 'llamacpp',
  model: 'm',
  finishReason: 'stop',
  timings: { readyMs: 1, totalMs: 2 },
  retries: [],
  fallbacks: [],
  ...over,
});

describe('answerPrinter', () => {
  it('prints a restart notice on stderr before the new answer, which starts on a fresh line', () => {
    const { out, deps } = sinks();
    const p = answerPrinter(deps, false);
    const order: string[] = [];
    const trace = (name: string, fn: () => void) => {
      fn();
      order.push(`${name}:${out.stdout.length}:${out.stderr.length}`);
    };
    trace('text', () => p.onText('One tw'));
    trace('retry', () =>
      p.onRetry({
        provider: 'llamacpp',
        attempt: 1,
        code: 'STREAM_INTERRUPTED',
        reason: 'ended early',
        path: 'restart',
      }),
    );
    trace('restarted', () => p.onRestarted({ reason: 'ended early', attempt: 1 }, 'llamacpp'));
    p.onText('One two three.');
    p.done(
      result({
        retries: [{ provider: 'llamacpp', attempt: 1, code: 'STREAM_INTERRUPTED', reason: 'x', path: 'restart' }],
      }),
    );
    expect(out.stdout).toBe('One tw\nOne two three.\n');
    expect(out.stderr).toBe(
      'note: llamacpp: STREAM_INTERRUPTED; retrying (retry 1)\n' +
        'note: llamacpp restarted mid-answer (ended early); the answer starts over below\n',
    );
    // The notice was on stderr before a single byte of the new answer reached stdout.
    expect(order[2]).toBe(`restarted:${'One tw\n'.length}:${out.stderr.length}`);
  });

  it('names the fallback and who answered', () => {
    const { out, deps } = sinks();
    const p = answerPrinter(deps, false);
    p.onFallback({ id: 'vllm', code: 'START_FAILED', message: 'vllm exited with code 1 while starting.' }, 'llamacpp');
    p.onText('One two three.');
    p.done(
      result({ fallbacks: [{ id: 'vllm', code: 'START_FAILED', message: 'vllm exited with code 1 while starting.' }] }),
    );
    expect(out.stderr).toBe(
      'note: vllm could not answer: vllm exited with code 1 while starting. (START_FAILED); trying llamacpp\nanswered by llamacpp\n',
    );
  });

  it('with --json prints nothing but one object at the end', () => {
    const { out, deps } = sinks();
    const p = answerPrinter(deps, true);
    p.onText('One two three.');
    p.done(
      result({
        fallbacks: [{ id: 'vllm', code: 'START_FAILED', message: 'no' }],
        usage: { promptTokens: 3, completionTokens: 3, totalTokens: 6 },
      }),
    );
    expect(JSON.parse(out.stdout)).toEqual({
      text: 'One two three.',
      provider: 'llamacpp',
      model: 'm',
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 3, totalTokens: 6 },
      timings: { readyMs: 1, totalMs: 2 },
      retries: 0,
      fallback: [{ provider: 'vllm', code: 'START_FAILED', reason: 'no' }],
    });
  });
});
