// Raw text completions and fill in the middle: OpenAI's POST /v1/completions (prompt, optional suffix)
// read into a TextCompletionRequest and answered as `text_completion` objects or SSE chunks, and the
// Ollama /api/generate call that carries a suffix or raw: true turned into the same request. The routed provider
// decides how (Ollama /api/generate with suffix, llama-server /infill) or refuses with a typed 400.
import { randomUUID } from 'node:crypto';
import type { AcodeError } from '../config/index.js';
import type { FinishReason, StreamChunk, TextCompletionRequest, Usage } from '../adapters/index.js';
import { badRequest, openAiErrorBody } from './errors.js';
import { openAiSampling, openAiUsage } from './openai-protocol.js';
import { isObject, requireModel, type Json } from './body-fields.js';
import type { OllamaCall } from './ollama-protocol.js';

export interface OpenAiTextCall {
  model: string;
  request: TextCompletionRequest;
  stream: boolean;
  includeUsage: boolean;
}

// A list of one string is what some clients send for a single prompt; several prompts (n answers in one
// response) and token ids are not passed through.
function promptOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number' || Array.isArray(v))) {
    throw badRequest(
      '/v1/completions: "prompt" is a list of token ids; the gateway completes text only.',
      'Send "prompt" as a string.',
    );
  }
  if (Array.isArray(value) && value.length > 1)
    throw badRequest(
      '/v1/completions: "prompt" holds several prompts; the gateway answers one per request.',
      'Send one request per prompt.',
    );
  throw badRequest('/v1/completions: "prompt" is missing or not a string.', 'Send "prompt" as a string.');
}

/** Reads a POST /v1/completions body. */
export function readOpenAiCompletion(body: unknown): OpenAiTextCall {
  if (!isObject(body))
    throw badRequest(
      '/v1/completions: the body is not a JSON object.',
      'Send a JSON object with "model" and "prompt".',
    );
  const model = requireModel(body, '/v1/completions');
  const prompt = promptOf(body.prompt);
  if (body.suffix !== undefined && body.suffix !== null && typeof body.suffix !== 'string') {
    throw badRequest('/v1/completions: "suffix" is not a string.', 'Send "suffix" as a string or leave it out.');
  }
  const sampling = openAiSampling(body);
  const request: TextCompletionRequest = {
    prompt,
    ...(typeof body.suffix === 'string' && body.suffix !== '' ? { suffix: body.suffix } : {}),
    ...(sampling ? { sampling } : {}),
  };
  const stream = body.stream === true;
  return {
    model,
    request,
    stream,
    includeUsage: stream && isObject(body.stream_options) && body.stream_options.include_usage === true,
  };
}

/**
 * An /api/generate call with a suffix (fill in the middle) or raw: true as a text completion: the prompt
 * as sent, without the chat framing (an Ollama backend gets raw: true when there is no suffix).
 */
export function ollamaText(call: OllamaCall): TextCompletionRequest {
  const { messages, sampling, contextSize, keepAlive } = call.request;
  return {
    prompt: messages.at(-1)?.content ?? '',
    ...(call.suffix !== undefined ? { suffix: call.suffix } : {}),
    ...(sampling ? { sampling } : {}),
    ...(contextSize !== undefined ? { contextSize } : {}),
    ...(keepAlive !== undefined ? { keepAlive } : {}),
  };
}

function finishReason(reason: FinishReason): string {
  return reason === 'length' ? 'length' : 'stop';
}

/** Writes one text completion: SSE `text_completion` chunks ending in `[DONE]`, or one whole object. */
export class OpenAiTextStream {
  readonly contentType = 'text/event-stream';
  private readonly id = `cmpl-${randomUUID()}`;
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  private frame(choices: Json[], extra: Json = {}): string {
    return `data: ${JSON.stringify({ id: this.id, object: 'text_completion', created: this.created, model: this.model, choices, ...extra })}\n\n`;
  }

  /** Load progress as an SSE comment: text_completion has no field for it; clients skip comments. */
  progress(line: string): string {
    return `: ${line.replace(/\n/g, ' ')}\n\n`;
  }

  chunk(chunk: StreamChunk): string {
    if (chunk.type === 'text')
      return chunk.text === '' ? '' : this.frame([{ index: 0, text: chunk.text, logprobs: null, finish_reason: null }]);
    if (chunk.type !== 'final') return '';
    let out = this.frame([{ index: 0, text: '', logprobs: null, finish_reason: finishReason(chunk.finishReason) }]);
    if (this.includeUsage) out += this.frame([], { usage: openAiUsage(chunk.usage) ?? null });
    return `${out}data: [DONE]\n\n`;
  }

  error(error: AcodeError): string {
    return `data: ${JSON.stringify(openAiErrorBody(error))}\n\ndata: [DONE]\n\n`;
  }

  whole(answer: { text: string; finishReason: FinishReason; usage?: Usage }): Json {
    const usage = openAiUsage(answer.usage);
    return {
      id: this.id,
      object: 'text_completion',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, text: answer.text, logprobs: null, finish_reason: finishReason(answer.finishReason) }],
      ...(usage ? { usage } : {}),
    };
  }
}
