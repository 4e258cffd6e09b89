// Structured output: the schema goes to the server natively; the answer is still checked here with ajv,
// and a bad answer gets one or two corrective turns that quote the validation error.
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv';
import { AcodeError } from '../config/index.js';
import type { ChatRequest, ChatResponse } from './types.js';

const DEFAULT_STRUCTURED_RETRIES = 2;

// Loaded on the first structured request: ajv's import and its meta-schema compile are a large part
// of a cold CLI start, and most commands never validate an answer.
let ajvInstance: Promise<AjvInstance> | undefined;
function loadAjv(): Promise<AjvInstance> {
  return (ajvInstance ??= import('ajv').then((mod) => {
    // Node gives a CommonJS module's named exports; the CLI bundle gives only `default` (module.exports).
    const Ajv = (mod.Ajv as typeof mod.Ajv | undefined) ?? mod.default.Ajv;
    return new Ajv({ allErrors: true, strict: false });
  }));
}

interface Checker {
  validate: ValidateFunction;
  errorsText(validate: ValidateFunction): string;
}
const checkers = new WeakMap<object, Checker>();

async function checkerFor(schema: Record<string, unknown>): Promise<Checker> {
  const known = checkers.get(schema);
  if (known) return known;
  const ajv = await loadAjv();
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new AcodeError(
      'BAD_REQUEST',
      `The structured-output schema does not compile: ${(err as Error).message}`,
      'Fix the JSON Schema passed as `schema`.',
      { cause: err },
    );
  }
  const checker: Checker = { validate, errorsText: (v) => ajv.errorsText(v.errors, { dataVar: 'answer' }) };
  checkers.set(schema, checker);
  return checker;
}

/** Parses and validates an answer; returns the value or the error to quote back to the model. */
function checkAnswer(text: string, checker: Checker): { ok: true; value: unknown } | { ok: false; error: string } {
  // Models sometimes wrap JSON in a code fence even when told not to; the fence is not the answer.
  const unfenced = text.trim().replace(/^```(?:json)?\s*\n([\s\S]*?)\n?```$/u, '$1');
  let value: unknown;
  try {
    value = JSON.parse(unfenced);
  } catch (err) {
    return { ok: false, error: `not valid JSON (${(err as Error).message})` };
  }
  if (checker.validate(value)) return { ok: true, value };
  return { ok: false, error: checker.errorsText(checker.validate) };
}

// Runs `once` until the answer validates, at most 1 + retries times; then STRUCTURED_OUTPUT_INVALID.
export async function completeStructured(
  req: ChatRequest & { schema: Record<string, unknown> },
  once: (req: ChatRequest) => Promise<ChatResponse>,
  { provider, retries = DEFAULT_STRUCTURED_RETRIES }: { provider: string; retries?: number },
): Promise<ChatResponse> {
  // A schema that does not compile fails before anything is sent.
  const checker = await checkerFor(req.schema);
  let messages = req.messages;
  let lastError = '';
  let lastRaw = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    const res = await once({
      ...req,
      messages,
      continueFinalMessage: attempt === 0 ? req.continueFinalMessage : false,
    });
    const checked = checkAnswer(res.text, checker);
    if (checked.ok) return { ...res, json: checked.value };
    lastError = checked.error;
    lastRaw = res.text;
    messages = [
      ...messages,
      { role: 'assistant', content: res.text },
      {
        role: 'user',
        content: `Your answer was invalid: ${checked.error}. Reply again with only a JSON value that matches the required schema, no other text.`,
      },
    ];
  }
  throw new AcodeError(
    'STRUCTURED_OUTPUT_INVALID',
    `${provider}: the answer did not match the schema after ${retries + 1} attempts: ${lastError}`,
    'Simplify the schema or use a model that follows structured output better.',
    { details: { provider, attempts: retries + 1, validationError: lastError, raw: lastRaw } },
  );
}
