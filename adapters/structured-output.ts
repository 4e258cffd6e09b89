// Structured output: the schema goes to the server natively; the answer is still checked here with ajv,
// and a bad answer gets one or two corrective turns that quote the validation error.
import AjvModule from 'ajv';
import { AcodeError } from '../config/index.js';
import type { ChatRequest, ChatResponse } from './types.js';

// ajv is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as typeof AjvModule.default;
const ajv = new Ajv({ allErrors: true, strict: false });
type Validator = ReturnType<typeof ajv.compile>;
const validators = new WeakMap<object, Validator>();

export const DEFAULT_STRUCTURED_RETRIES = 2;

function validatorFor(schema: Record<string, unknown>): Validator {
  let v = validators.get(schema);
  if (!v) {
    try {
      v = ajv.compile(schema);
    } catch (err) {
      throw new AcodeError('BAD_REQUEST', `The structured-output schema does not compile: ${(err as Error).message}`,
        'Fix the JSON Schema passed as `schema`.', { cause: err });
    }
    validators.set(schema, v);
  }
  return v;
}

/** Parses and validates an answer; returns the value or the error to quote back to the model. */
export function checkAnswer(text: string, schema: Record<string, unknown>): { ok: true; value: unknown } | { ok: false; error: string } {
  // Models sometimes wrap JSON in a code fence even when told not to; the fence is not the answer.
  const unfenced = text.trim().replace(/^```(?:json)?\s*\n([\s\S]*?)\n?```$/u, '$1');
  let value: unknown;
  try {
    value = JSON.parse(unfenced);
  } catch (err) {
    return { ok: false, error: `not valid JSON (${(err as Error).message})` };
  }
  const validate = validatorFor(schema);
  if (validate(value)) return { ok: true, value };
  return { ok: false, error: ajv.errorsText(validate.errors, { dataVar: 'answer' }) };
}

// Runs `once` until the answer validates, at most 1 + retries times; then STRUCTURED_OUTPUT_INVALID.
export async function completeStructured(
  req: ChatRequest & { schema: Record<string, unknown> },
  once: (req: ChatRequest) => Promise<ChatResponse>,
  { provider, retries = DEFAULT_STRUCTURED_RETRIES }: { provider: string; retries?: number },
): Promise<ChatResponse> {
  let messages = req.messages;
  let lastError = '';
  let lastRaw = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    const res = await once({ ...req, messages, continueFinalMessage: attempt === 0 ? req.continueFinalMessage : false });
    const checked = checkAnswer(res.text, req.schema);
    if (checked.ok) return { ...res, json: checked.value };
    lastError = checked.error;
    lastRaw = res.text;
    messages = [
      ...messages,
      { role: 'assistant', content: res.text },
      { role: 'user', content: `Your answer was invalid: ${checked.error}. Reply again with only a JSON value that matches the required schema, no other text.` },
    ];
  }
  throw new AcodeError('STRUCTURED_OUTPUT_INVALID',
    `${provider}: the answer did not match the schema after ${retries + 1} attempts: ${lastError}`,
    'Simplify the schema or use a model that follows structured output better.',
    { details: { provider, attempts: retries + 1, validationError: lastError, raw: lastRaw } });
}
