import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider } from '../../adapters/index.js';
import { caught, ndjson, providerConfig, startFixture, type Fixture } from './fixture-server.js';

let fixture: Fixture | undefined;
let provider: ModelProvider | undefined;
afterEach(async () => {
  await provider?.close();
  await fixture?.close();
});

const schema = {
  type: 'object',
  properties: { age: { type: 'integer' }, available: { type: 'boolean' } },
  required: ['age', 'available'],
  additionalProperties: false,
};
const answer = (content: string) => [
  { model: 'm', message: { role: 'assistant', content }, done: false },
  { model: 'm', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' },
];

async function withAnswers(answers: string[]): Promise<ModelProvider> {
  let i = 0;
  fixture = await startFixture((_q, res) => ndjson(res, answer(answers[Math.min(i++, answers.length - 1)]!)));
  provider = createProvider(providerConfig('ollama', 'ollama', fixture.url, 'm'));
  return provider;
}

describe('structured output', () => {
  it('sends the schema natively (Ollama format) and returns the validated value', async () => {
    const p = await withAnswers(['{"age": 22, "available": false}']);
    const res = await p.complete({ messages: [{ role: 'user', content: 'x' }], schema });
    expect(res.json).toEqual({ age: 22, available: false });
    expect(fixture!.requests[0]!.body).toMatchObject({ format: schema });
  });

  it('a schema that does not compile is BAD_REQUEST before anything is sent', async () => {
    const p = await withAnswers(['{}']);
    const error = await caught(
      p.complete({ messages: [{ role: 'user', content: 'x' }], schema: { type: 'no-such-type' } }),
    );
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    expect(error.message).toContain('does not compile');
    expect(fixture!.requests).toHaveLength(0);
  });

  it('retries a schema violation with a corrective message quoting the error', async () => {
    const p = await withAnswers(['{"age": "old", "available": false}', '{"age": 3, "available": true}']);
    const res = await p.complete({ messages: [{ role: 'user', content: 'x' }], schema });
    expect(res.json).toEqual({ age: 3, available: true });
    expect(fixture!.requests).toHaveLength(2);
    const second = fixture!.requests[1]!.body as { messages: { role: string; content: string }[] };
    expect(second.messages.at(-2)).toEqual({ role: 'assistant', content: '{"age": "old", "available": false}' });
    expect(second.messages.at(-1)!.role).toBe('user');
    expect(second.messages.at(-1)!.content).toContain('answer/age must be integer');
  });

  it('retries invalid JSON, then fails with STRUCTURED_OUTPUT_INVALID carrying the last raw answer', async () => {
    const p = await withAnswers(['not json', '{"age": 1', '{"age": 1, "available": "no"}']);
    const err = await caught(p.complete({ messages: [{ role: 'user', content: 'x' }], schema }));
    expect(err.code).toBe('STRUCTURED_OUTPUT_INVALID');
    expect(err.details).toMatchObject({ attempts: 3, raw: '{"age": 1, "available": "no"}' });
    expect(String(err.details!.validationError)).toContain('available must be boolean');
    expect(fixture!.requests).toHaveLength(3);
    const second = fixture!.requests[1]!.body as { messages: { content: string }[] };
    expect(second.messages.at(-1)!.content).toContain('not valid JSON');
  });
});
