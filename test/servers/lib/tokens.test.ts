import { describe, expect, it } from 'vitest';
import { parseKnobs, knobEnv, KNOB_ENV, KnobError } from './knobs.js';
import { valueFromSchema } from './schema-value.js';
import { plan, rawContinuation, remainderAfter, seededRandom, tokenSequence } from './tokens.js';

const key = { model: 'm', prompt: 'user: hello', seed: 4 };

describe('deterministic token sequences', () => {
  it('depend on model, prompt and seed only', () => {
    const a = tokenSequence(key, { kind: 'text' }, null);
    expect(tokenSequence({ ...key }, { kind: 'text' }, null)).toEqual(a);
    expect(tokenSequence({ ...key, seed: 5 }, { kind: 'text' }, null)).not.toEqual(a);
    expect(tokenSequence({ ...key, model: 'n' }, { kind: 'text' }, null)).not.toEqual(a);
    expect(tokenSequence(key, { kind: 'text' }, 7)).toHaveLength(7);
  });

  it('continue after any prefix with exactly the rest, also inside a piece', () => {
    const pieces = tokenSequence(key, { kind: 'text' }, 10);
    const text = pieces.join('');
    for (let cut = 0; cut <= text.length; cut++) {
      const rest = remainderAfter(pieces, text.slice(0, cut));
      expect(text.slice(0, cut) + (rest ?? []).join('')).toBe(text);
    }
    expect(remainderAfter(pieces, 'not a prefix')).toBeNull();
  });

  it('cut at max tokens with finish reason length, and restart fresh on a foreign prefix', () => {
    expect(plan(key, { kind: 'text' }, { maxTokens: 2, fixedCount: 10 })).toMatchObject({
      finishReason: 'length',
      pieces: { length: 2 },
    });
    const fresh = plan(key, { kind: 'text' }, { prefix: 'Something else', fixedCount: 10 });
    expect(fresh.pieces).toHaveLength(10);
    expect(fresh.pieces).not.toEqual(tokenSequence(key, { kind: 'text' }, 10));
  });
});

describe('schema values', () => {
  it('fill required properties, respect enums, bounds, $ref and anyOf', () => {
    const schema = {
      type: 'object',
      $defs: { city: { type: 'string', minLength: 3 } },
      properties: {
        n: { type: 'integer', minimum: 5, maximum: 6 },
        c: { $ref: '#/$defs/city' },
        e: { enum: ['x', 'y'] },
        o: { anyOf: [{ type: 'null' }, { type: 'boolean' }] },
        a: { type: 'array', items: { type: 'number' }, minItems: 3 },
      },
    };
    const v = valueFromSchema(schema, seededRandom(1)) as Record<string, unknown>;
    expect([5, 6]).toContain(v.n);
    expect((v.c as string).length).toBeGreaterThanOrEqual(3);
    expect(['x', 'y']).toContain(v.e);
    expect(typeof v.o).toBe('boolean');
    expect((v.a as number[]).length).toBeGreaterThanOrEqual(3);
  });
});

describe('knob parsing', () => {
  it('round-trips typed settings through env vars', () => {
    const env = knobEnv({ crashAfterTokens: 3, hang: 'headers', models: ['a', 'b'], ignoreSigterm: true });
    expect(env).toEqual({
      [KNOB_ENV.crashAfterTokens]: '3',
      [KNOB_ENV.hang]: 'headers',
      [KNOB_ENV.models]: 'a,b',
      [KNOB_ENV.ignoreSigterm]: 'true',
    });
    expect(parseKnobs(env)).toMatchObject({
      crashAfterTokens: 3,
      hang: 'headers',
      models: ['a', 'b'],
      ignoreSigterm: true,
    });
  });

  it('rejects unknown names and bad values', () => {
    expect(() => parseKnobs({ ACODE_FAKE_NOPE: '1' })).toThrow(KnobError);
    expect(() => parseKnobs({ [KNOB_ENV.tokens]: '0' })).toThrow(/integer >= 1/);
    expect(() => parseKnobs({ [KNOB_ENV.crashMode]: 'boom' })).toThrow(/exit, sigkill/);
  });
});

describe('raw continuations', () => {
  it('continue a prompt that ends with the start of its own answer, and leave a fresh prompt alone', () => {
    const keyOf = (prompt: string) => ({ model: 'm', prompt, seed: undefined });
    const text = tokenSequence(keyOf('def f():'), { kind: 'text' }, 10).join('');
    for (const cut of [1, 5, text.length - 1]) {
      const found = rawContinuation(`def f():${text.slice(0, cut)}`, keyOf, 10);
      expect(found).toEqual({ key: keyOf('def f():'), prefix: text.slice(0, cut) });
    }
    expect(rawContinuation('def f(): Return A value', keyOf, 10)).toBeNull();
  });
});
