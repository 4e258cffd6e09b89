import { describe, expect, it } from 'vitest';
import { AcodeError, serializeError } from '../../config/index.js';
import { reasonOf } from '../../machines/request-errors.js';

describe('serializeError: anything thrown, as data', () => {
  it("keeps an AcodeError's code, message, hint and details; empty details are left out", () => {
    const withDetails = new AcodeError('PORT_IN_USE', 'vllm: port 8000 is in use.', 'Stop it.', {
      details: { port: 8000 },
    });
    expect(serializeError(withDetails)).toEqual({
      code: 'PORT_IN_USE',
      message: 'vllm: port 8000 is in use.',
      hint: 'Stop it.',
      details: { port: 8000 },
    });
    expect(serializeError(new AcodeError('USAGE', 'bad', 'fix'))).toEqual({
      code: 'USAGE',
      message: 'bad',
      hint: 'fix',
    });
  });

  it("keeps data already shaped like an error with a known code (a snapshot's lastError)", () => {
    expect(serializeError({ code: 'START_TIMEOUT', message: 'slow' })).toEqual({
      code: 'START_TIMEOUT',
      message: 'slow',
      hint: '',
    });
  });

  it('turns anything else into INTERNAL with the bug hint, including shapes with unknown codes', () => {
    for (const thrown of [new Error('boom'), 'boom', { code: 'ECONNRESET', message: 'boom' }]) {
      expect(serializeError(thrown)).toMatchObject({ code: 'INTERNAL', hint: expect.stringContaining('bug in acode') });
    }
  });

  it('a fallback reason is the same data, with the provider id', () => {
    expect(reasonOf('vllm', new Error('boom'))).toEqual({ id: 'vllm', ...serializeError(new Error('boom')) });
  });
});
