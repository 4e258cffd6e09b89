// Writes OpenAI-style chat and text completions (JSON or SSE) for a plan, token by token, so the token
// knobs (delay, crash, stall) act between real wire chunks.

import type { Reply } from './reply.js';
import type { Runtime } from './runtime.js';
import type { OpenAIPlan } from './openai-request.js';
import { makeId } from './tools.js';

export interface OpenAIStyle {
  flavor: 'vllm' | 'llama-server';
  /** The `model` field of replies. */
  model: string;
  headers: Record<string, string>;
}

function sse(reply: Reply, payload: unknown): Promise<void> {
  return reply.write(`data: ${JSON.stringify(payload)}\n\n`);
}

function usage(p: OpenAIPlan, completion: number): Record<string, number> {
  return { prompt_tokens: p.promptTokens, total_tokens: p.promptTokens + completion, completion_tokens: completion };
}

function timings(p: OpenAIPlan, completion: number): Record<string, number> {
  return {
    cache_n: 0,
    prompt_n: p.promptTokens,
    prompt_ms: 1.5,
    predicted_n: completion,
    predicted_ms: completion * 2,
    predicted_per_second: 500,
  };
}

function toolCallPieces(args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 6) out.push(args.slice(i, i + 6));
  return out;
}

/** Runs the token loop; returns how many tokens went out (stops early when the client left). */
async function emit(
  pieces: string[],
  runtime: Runtime,
  reply: Reply,
  each: (piece: string, last: boolean) => Promise<void>,
): Promise<number> {
  let n = 0;
  for (let i = 0; i < pieces.length; i++) {
    if (reply.signal.aborted) break;
    await runtime.beforeToken();
    await each(pieces[i] ?? '', i === pieces.length - 1);
    n += 1;
  }
  return n;
}

export async function respondChat(p: OpenAIPlan, style: OpenAIStyle, runtime: Runtime, reply: Reply): Promise<void> {
  const id = style.flavor === 'vllm' ? `chatcmpl-${makeId('')}` : `chatcmpl-${makeId('')}`;
  const created = Math.floor(Date.now() / 1000);
  const toolId = style.flavor === 'vllm' ? makeId('chatcmpl-tool-') : makeId('');
  const finish = p.tool ? 'tool_calls' : p.finishReason;
  const extra = style.flavor === 'llama-server' ? { system_fingerprint: 'b6000-acodefake' } : {};
  if (!p.stream) {
    const pieces = p.tool ? toolCallPieces(p.tool.arguments) : p.pieces;
    for (let i = 0; i < pieces.length; i++) await runtime.beforeToken();
    const message: Record<string, unknown> = { role: 'assistant', content: p.tool ? null : p.pieces.join('') };
    if (p.tool)
      message.tool_calls = [
        { id: toolId, type: 'function', function: { name: p.tool.spec.name, arguments: p.tool.arguments } },
      ];
    if (style.flavor === 'vllm') message.reasoning = null;
    const choice: Record<string, unknown> = { index: 0, message, logprobs: null, finish_reason: finish };
    if (style.flavor === 'vllm') choice.stop_reason = null;
    const body: Record<string, unknown> = {
      id,
      object: 'chat.completion',
      created,
      model: style.model,
      choices: [choice],
      usage: usage(p, pieces.length),
      ...extra,
    };
    if (style.flavor === 'llama-server') body.timings = timings(p, pieces.length);
    return reply.send(
      200,
      { 'Content-Type': 'application/json; charset=utf-8', ...style.headers },
      JSON.stringify(body),
    );
  }
  reply.open(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    ...style.headers,
  });
  const chunk = (choices: unknown[], more: Record<string, unknown> = {}): Record<string, unknown> =>
    style.flavor === 'vllm'
      ? { id, object: 'chat.completion.chunk', created, model: style.model, choices, ...more }
      : { choices, created, id, model: style.model, ...extra, object: 'chat.completion.chunk', ...more };
  const lp = style.flavor === 'vllm' ? { logprobs: null } : {};
  const roleContent = style.flavor === 'vllm' ? '' : null;
  await sse(
    reply,
    chunk([{ index: 0, delta: { role: 'assistant', content: roleContent }, ...lp, finish_reason: null }]),
  );
  let sent: number;
  if (p.tool) {
    const t = p.tool;
    await sse(
      reply,
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [{ id: toolId, type: 'function', index: 0, function: { name: t.spec.name, arguments: '' } }],
          },
          ...lp,
          finish_reason: null,
        },
      ]),
    );
    sent = await emit(toolCallPieces(t.arguments), runtime, reply, (piece) =>
      sse(
        reply,
        chunk([
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] },
            ...lp,
            finish_reason: null,
          },
        ]),
      ),
    );
    await sse(
      reply,
      chunk([
        {
          index: 0,
          delta: {},
          ...lp,
          finish_reason: finish,
          ...(style.flavor === 'vllm' ? { stop_reason: null } : {}),
        },
      ]),
    );
  } else {
    sent = await emit(p.pieces, runtime, reply, (piece) =>
      sse(reply, chunk([{ index: 0, delta: { content: piece }, ...lp, finish_reason: null }])),
    );
    await sse(
      reply,
      chunk(
        [
          {
            index: 0,
            delta: {},
            ...lp,
            finish_reason: finish,
            ...(style.flavor === 'vllm' ? { stop_reason: null } : {}),
          },
        ],
        style.flavor === 'llama-server' ? { timings: timings(p, sent) } : {},
      ),
    );
  }
  if (p.includeUsage) await sse(reply, chunk([], { usage: usage(p, sent) }));
  await reply.write('data: [DONE]\n\n');
  await reply.end();
}

export async function respondCompletion(
  p: OpenAIPlan,
  style: OpenAIStyle,
  runtime: Runtime,
  reply: Reply,
): Promise<void> {
  const id = `cmpl-${makeId('')}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: 'text_completion', created, model: style.model };
  if (!p.stream) {
    for (let i = 0; i < p.pieces.length; i++) await runtime.beforeToken();
    const body = {
      ...base,
      choices: [
        { index: 0, text: p.pieces.join(''), logprobs: null, finish_reason: p.finishReason, stop_reason: null },
      ],
      usage: usage(p, p.pieces.length),
    };
    return reply.send(
      200,
      { 'Content-Type': 'application/json; charset=utf-8', ...style.headers },
      JSON.stringify(body),
    );
  }
  reply.open(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    ...style.headers,
  });
  const sent = await emit(p.pieces, runtime, reply, (piece, last) =>
    sse(reply, {
      ...base,
      choices: [
        {
          index: 0,
          text: piece,
          logprobs: null,
          finish_reason: last ? p.finishReason : null,
          ...(last ? { stop_reason: null } : {}),
        },
      ],
    }),
  );
  if (p.pieces.length === 0)
    await sse(reply, {
      ...base,
      choices: [{ index: 0, text: '', logprobs: null, finish_reason: p.finishReason, stop_reason: null }],
    });
  if (p.includeUsage) await sse(reply, { ...base, choices: [], usage: usage(p, sent) });
  await reply.write('data: [DONE]\n\n');
  await reply.end();
}
