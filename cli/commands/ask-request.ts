// What `acode ask` adds to its ChatRequest from the flags: --system becomes a system message
// before the prompt, --max-tokens and --temperature the sampling options. A bad flag value is a USAGE
// error before anything is detected or started.
import { AcodeError } from '../../config/index.js';
import type { ChatMessage, SamplingOptions } from '../../adapters/index.js';

export interface RequestFlags {
  system?: string;
  maxTokens?: string;
  temperature?: string;
}

/** The OpenAI API's range; Ollama accepts the same. */
const MAX_TEMPERATURE = 2;

function maxTokensOf(raw: string): number {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new AcodeError(
      'USAGE',
      `--max-tokens ${JSON.stringify(raw)} is not a positive integer.`,
      'Pass the most tokens the answer may have, e.g. `--max-tokens 256`.',
      { details: { flag: '--max-tokens', value: raw } },
    );
  }
  return n;
}

function temperatureOf(raw: string): number {
  const t = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(t) || t < 0 || t > MAX_TEMPERATURE) {
    throw new AcodeError(
      'USAGE',
      `--temperature ${JSON.stringify(raw)} is not a number from 0 to ${MAX_TEMPERATURE}.`,
      'Pass e.g. `--temperature 0` for the most deterministic answer, up to 2 for the most varied.',
      { details: { flag: '--temperature', value: raw } },
    );
  }
  return t;
}

/** `{ sampling }` from --max-tokens and --temperature (nothing without them); a bad value is USAGE. */
export function askSampling(flags: RequestFlags): { sampling?: SamplingOptions } {
  const sampling: SamplingOptions = {
    ...(flags.maxTokens !== undefined ? { maxTokens: maxTokensOf(flags.maxTokens) } : {}),
    ...(flags.temperature !== undefined ? { temperature: temperatureOf(flags.temperature) } : {}),
  };
  return Object.keys(sampling).length > 0 ? { sampling } : {};
}

/** The prompt as the user message, after the --system message when one is given. */
export function askMessages(prompt: string, flags: RequestFlags): ChatMessage[] {
  if (flags.system === undefined) return [{ role: 'user', content: prompt }];
  if (flags.system.trim() === '') {
    throw new AcodeError(
      'USAGE',
      '--system is empty.',
      'Pass the system message as text, e.g. `--system "Answer in one sentence."`, or leave the flag out.',
    );
  }
  return [
    { role: 'system', content: flags.system },
    { role: 'user', content: prompt },
  ];
}
