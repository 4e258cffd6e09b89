// The gateway's HTTP side: one node:http server on loopback that speaks the OpenAI and the Ollama
// protocols to clients and asks the engine for every answer. Each route reads its protocol into the
// engine's ChatRequest, and writes chunks back in the same protocol; lifecycle decisions stay in the
// engine. A stream that cannot be finished ends with the protocol's typed error frame, never silently.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AcodeError, isAcodeError } from '../config/index.js';
import type {
  ChatRequest,
  StreamChunk,
  TextCompletionRequest,
  ToolCall,
  FinishReason,
  Usage,
} from '../adapters/index.js';
import type { AnswerEvents, Engine, Route } from './engine.js';
import type { RecoveryPath } from '../machines/index.js';
import { asAcodeError, badRequest, httpStatusOf, ollamaErrorBody, openAiErrorBody } from './errors.js';
import {
  OllamaStream,
  ollamaPs,
  ollamaShow,
  ollamaTags,
  readOllamaChat,
  readOllamaGenerate,
} from './ollama-protocol.js';
import { OpenAiChatStream, openAiCompletion, openAiModelList, readOpenAiChat } from './openai-protocol.js';
import { GatewayMetrics } from './metrics.js';
import { Admission, type AdmissionLimits } from './admission.js';
import { ollamaEmbed, ollamaLegacyEmbedding, openAiEmbeddings, type EmbedContext } from './embeddings.js';
import { OpenAiTextStream, ollamaText, readOpenAiCompletion } from './completions.js';
import { ollamaPull } from './pull.js';
import { UsageCounter } from './usage.js';
import { streamInspection, type InspectionSource } from './inspect-route.js';

export interface GatewayOptions {
  engine: Engine;
  host: string;
  port: number;
  /** serve.api_key_env's value: when set, requests must carry it (Authorization: Bearer or api-key). */
  apiKey?: string;
  /** How long a client waits on a start before the first progress frame opens its stream. */
  progressAfterMs?: number;
  /** The version /api/version reports (Ollama clients check it). */
  version: string;
  /** Per-provider requests in flight and waiting (serve.max_concurrent, serve.max_queue). */
  admission?: AdmissionLimits;
  /** What `acode status` and `acode providers` ask a running gateway (/acode/...). */
  control?: GatewayControl;
  /** The registry's inspection records, streamed at GET /acode/inspect for `acode inspect`. */
  inspection?: InspectionSource;
}

/** The control routes: the same reports and actions as the CLI's, done by the gateway's supervisor. */
export interface GatewayControl {
  reports(): unknown[];
  start(id: string, signal: AbortSignal): Promise<unknown>;
  stop(id: string, signal: AbortSignal): Promise<unknown>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const PROGRESS_AFTER_MS = 1_000;
/** After the drain bound: how long aborted answers get to write their error frame. */
const ABORTED_WRITE_MS = 1_000;

type Protocol = 'openai' | 'ollama';

class HttpRefusal extends AcodeError {}

function refuse(status: number, message: string, hint: string): AcodeError {
  return new HttpRefusal('BAD_REQUEST', message, hint, { details: { httpStatus: status } });
}

// Read with 'data'/'end' listeners rather than `for await`: the async iterator costs a stream wrapper,
// end-of-stream tracking and a promise per chunk on every request (visible in the gateway bench profile).
function readJson(req: IncomingMessage, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: AcodeError) => {
      signal.removeEventListener('abort', onError);
      req.off('data', onData).off('end', onEnd).off('error', onError).resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES)
        return fail(
          refuse(413, `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB.`, 'Send a smaller request.'),
        );
      chunks.push(chunk);
    };
    const onError = () => fail(new AcodeError('ABORTED', 'The client went away.', 'Nothing to do.'));
    const onEnd = () => {
      signal.removeEventListener('abort', onError);
      req.off('error', onError);
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(
          badRequest('The request body is not valid JSON.', 'Send a JSON object with Content-Type: application/json.'),
        );
      }
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
    signal.addEventListener('abort', onError, { once: true });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, protocol: Protocol, error: unknown): void {
  const e = asAcodeError(error);
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const retryAfter: Record<string, string> =
    typeof e.details.retryAfterSeconds === 'number' ? { 'retry-after': String(e.details.retryAfterSeconds) } : {};
  sendJson(res, httpStatusOf(e), protocol === 'openai' ? openAiErrorBody(e) : ollamaErrorBody(e), {
    'x-acode-error': e.code,
    ...retryAfter,
  });
}

/** What a streamed answer is written with: a protocol's frames for progress, chunks and a typed error. */
interface Framer {
  contentType: string;
  progress(line: string): string;
  chunk(chunk: StreamChunk): string;
  error(error: AcodeError): string;
}

interface Collected {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage?: Usage;
}

export function createGateway(options: GatewayOptions) {
  const { engine } = options;
  const metrics = new GatewayMetrics();
  const stopObserving = engine.onStatus((status) => metrics.observe(status));
  const admission = new Admission(options.admission);
  const inFlight = new Set<AbortController>();
  let server: Server | undefined;
  let draining = false;

  function authorized(req: IncomingMessage): boolean {
    if (options.apiKey === undefined) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const key = bearer ?? (typeof req.headers['api-key'] === 'string' ? req.headers['api-key'] : undefined);
    return key === options.apiKey;
  }

  /**
   * Runs one answer and writes it: streamed, the 200 and its headers go out with the first chunk, or
   * with the first progress frame once a start has held the client for progressAfterMs; before that a
   * failure is a plain error response with its status (503 for a failed start). After it, a failure is
   * the protocol's error frame.
   */
  async function respond(
    res: ServerResponse,
    route: Route,
    request: ChatRequest | TextCompletionRequest,
    framer: Framer | undefined,
    signal: AbortSignal,
    whole: (c: Collected) => unknown,
  ): Promise<void> {
    const t0 = performance.now();
    const release = await admission.enter(route.provider, signal);
    const headers: Record<string, string> = { 'x-acode-queue-ms': String(Math.round(performance.now() - t0)) };
    let retries = 0;
    let resumed: RecoveryPath | undefined;
    // What happened is known only at the end: whole answers carry it in headers, streams in trailers
    // (the provider too: a stream opened by a start's progress, or fallen back, learns it later).
    const outcome = (): Record<string, string> => ({
      'x-acode-retries': String(retries),
      ...(headers['x-acode-provider'] !== undefined ? { 'x-acode-provider': headers['x-acode-provider'] } : {}),
      ...(resumed !== undefined ? { 'x-acode-resumed': resumed } : {}),
    });
    const endStream = (last?: string) => {
      res.addTrailers(outcome());
      res.end(last);
    };
    let pendingProgress: string | undefined;
    let progressTimer: NodeJS.Timeout | undefined;
    const open = () => {
      if (res.headersSent || !framer) return;
      res.writeHead(200, {
        'content-type': framer.contentType,
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        trailer: 'x-acode-retries, x-acode-resumed, x-acode-provider',
        ...headers,
      });
    };
    const progress = (line: string) => {
      if (!framer) return;
      if (res.headersSent) {
        res.write(framer.progress(line));
        return;
      }
      pendingProgress = line;
      progressTimer ??= setTimeout(() => {
        if (res.headersSent || signal.aborted) return;
        open();
        if (pendingProgress !== undefined) res.write(framer.progress(pendingProgress));
      }, options.progressAfterMs ?? PROGRESS_AFTER_MS);
    };
    const collected: Collected = { text: '', toolCalls: [], finishReason: 'unknown' };
    let firstToken = true;
    try {
      const events: AnswerEvents = {
        onProgress: progress,
        onRetry: (info) => {
          retries += 1;
          metrics.retry();
          if (info.path === 'resume') {
            resumed = 'resume';
            metrics.resume();
          }
        },
        onFallback: (failed) => metrics.fallback(failed.id),
        onProvider: (id) => {
          headers['x-acode-provider'] = id;
        },
        onHeader: (name, value) => {
          headers[name] = value;
        },
      };
      const chunks =
        'prompt' in request
          ? engine.completeText(route, request, events, signal)
          : engine.answer(route, request, events, signal);
      let restartedAfter: string | undefined;
      const usage = new UsageCounter(request);
      for await (const chunk of chunks) {
        usage.see(chunk);
        if (chunk.type === 'restarted') {
          // The engine starts the answer over; the client keeps what it has, so the new answer must
          // repeat it before anything new goes out (checked text by text below).
          restartedAfter = collected.text;
          collected.text = '';
          resumed = 'restart';
          metrics.resume();
          continue;
        }
        let out: StreamChunk = chunk;
        if (chunk.type === 'text') {
          if (firstToken) {
            metrics.firstToken(engineProvider(headers), performance.now() - t0);
            firstToken = false;
          }
          collected.text += chunk.text;
          if (restartedAfter !== undefined) {
            const fresh = unsentPart(restartedAfter, collected.text);
            if (fresh === undefined) {
              throw new AcodeError(
                'STREAM_INTERRUPTED',
                'The server crashed mid-answer and its new answer differs from the text already sent.',
                'Send the request again; use temperature 0 for answers that can be resumed exactly.',
              );
            }
            if (fresh === '') continue;
            restartedAfter = undefined;
            out = { type: 'text', text: fresh };
          }
        }
        if (chunk.type === 'final') {
          const final = usage.complete(chunk);
          out = final;
          collected.toolCalls = chunk.toolCalls;
          collected.finishReason = chunk.finishReason;
          collected.usage = final.usage;
        }
        if (framer) {
          open();
          const frame = framer.chunk(out);
          if (frame !== '') res.write(frame);
        }
      }
      if (!framer) {
        sendJson(res, 200, whole(collected), { ...headers, ...outcome() });
      } else {
        open();
        endStream();
      }
      metrics.request(engineProvider(headers), 'ok', performance.now() - t0);
    } catch (error) {
      // Aborted by the gateway's shutdown (the reason is its typed error): the client is told so.
      const e = asAcodeError(signal.aborted && isAcodeError(signal.reason) ? signal.reason : error);
      metrics.request(engineProvider(headers), e.code, performance.now() - t0);
      if (signal.aborted && !isAcodeError(signal.reason)) {
        if (!res.writableEnded) res.end();
        return;
      }
      if (res.headersSent && framer) {
        endStream(framer.error(e));
        return;
      }
      throw e;
    } finally {
      clearTimeout(progressTimer);
      release();
    }
  }

  /** An embeddings answer, with the headers that say who answered and after how many retries. */
  async function embedded(
    res: ServerResponse,
    route: (ctx: EmbedContext, body: unknown, signal: AbortSignal) => Promise<unknown>,
    body: unknown,
    signal: AbortSignal,
  ): Promise<void> {
    let retries = 0;
    const headers: Record<string, string> = {};
    const events: AnswerEvents = {
      onRetry: () => {
        retries += 1;
        metrics.retry();
      },
      onFallback: (failed) => metrics.fallback(failed.id),
      onProvider: (id) => {
        headers['x-acode-provider'] = id;
      },
      onHeader: (name, value) => {
        headers[name] = value;
      },
    };
    const answer = await route({ engine, admission, events }, body, signal);
    sendJson(res, 200, answer, { ...headers, 'x-acode-retries': String(retries) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The path only: no URL object per request (no route reads the query string).
    const target = req.url ?? '/';
    const query = target.indexOf('?');
    const path = (query < 0 ? target : target.slice(0, query)).replace(/\/+$/, '') || '/';
    const protocol: Protocol = path.startsWith('/api/') ? 'ollama' : 'openai';
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    inFlight.add(abort);
    try {
      if (draining)
        throw refuse(503, 'The gateway is shutting down.', 'Retry in a moment against the next acode serve.');
      if (path === '/health' || path === '/') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(path === '/' ? 'Ollama is running' : 'OK');
        return;
      }
      if (!authorized(req))
        throw refuse(
          401,
          'The gateway wants an API key this request did not carry.',
          'Send the key of serve.api_key_env as Authorization: Bearer <key> or api-key: <key>.',
        );
      const method = req.method ?? 'GET';
      const key = `${method} ${path.replace(/^\/v1\//, '/v1/')}`;
      switch (key) {
        case 'GET /v1/models':
        case 'GET /models':
          return sendJson(res, 200, openAiModelList(await engine.models(abort.signal)));
        case 'GET /api/tags':
          return sendJson(res, 200, ollamaTags(await engine.models(abort.signal)));
        case 'GET /api/ps':
          return sendJson(res, 200, ollamaPs(await engine.models(abort.signal)));
        case 'GET /api/version':
          return sendJson(res, 200, { version: options.version });
        case 'GET /acode/status':
          return sendJson(res, 200, options.control ? options.control.reports() : engine.status());
        case 'GET /acode/inspect':
          if (!options.inspection) throw refuse(404, 'This gateway has no inspection stream.', 'Run acode serve.');
          return streamInspection(options.inspection, req, res);
        case 'GET /metrics':
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render(engine.status()));
          return;
        case 'POST /api/show': {
          const body = await readJson(req, abort.signal);
          const name =
            typeof (body as { model?: unknown }).model === 'string'
              ? (body as { model: string }).model
              : (body as { name?: unknown }).name;
          if (typeof name !== 'string')
            throw badRequest('/api/show: "model" is missing.', 'Send {"model": "<provider>/<model>"}.');
          const route = engine.route(name);
          const models = await engine.models(abort.signal);
          const found = models.find(
            (m) =>
              m.provider === route.provider &&
              (route.model === undefined
                ? m.model === engine.config.providers[route.provider]?.model
                : m.model === route.model),
          );
          if (!found)
            throw new AcodeError(
              'MODEL_NOT_FOUND',
              `No configured provider serves the model "${name}".`,
              'GET /api/tags lists the models.',
              { details: { httpStatus: 404 } },
            );
          return sendJson(res, 200, ollamaShow(found));
        }
        case 'POST /v1/chat/completions':
        case 'POST /chat/completions': {
          const call = readOpenAiChat(await readJson(req, abort.signal));
          const route = engine.route(call.model);
          const framer = call.stream ? openAiFramer(call.model, call.includeUsage) : undefined;
          return await respond(res, route, call.request, framer, abort.signal, (c) => openAiCompletion(call.model, c));
        }
        case 'POST /api/chat':
        case 'POST /api/generate': {
          const generate = path === '/api/generate';
          const call = generate
            ? readOllamaGenerate(await readJson(req, abort.signal))
            : readOllamaChat(await readJson(req, abort.signal));
          const route = engine.route(call.model);
          const stream = new OllamaStream(call.model, generate ? 'generate' : 'chat');
          const framer = call.stream ? ollamaFramer(stream) : undefined;
          const request = call.suffix !== undefined || call.raw ? ollamaText(call) : call.request;
          return await respond(res, route, request, framer, abort.signal, (c) => stream.whole(c));
        }
        case 'POST /v1/completions':
        case 'POST /completions': {
          const call = readOpenAiCompletion(await readJson(req, abort.signal));
          const stream = new OpenAiTextStream(call.model, call.includeUsage);
          return await respond(
            res,
            engine.route(call.model),
            call.request,
            call.stream ? stream : undefined,
            abort.signal,
            (c) => stream.whole(c),
          );
        }
        case 'POST /v1/embeddings':
        case 'POST /embeddings':
          return await embedded(res, openAiEmbeddings, await readJson(req, abort.signal), abort.signal);
        case 'POST /api/embed':
          return await embedded(res, ollamaEmbed, await readJson(req, abort.signal), abort.signal);
        case 'POST /api/embeddings':
          return await embedded(res, ollamaLegacyEmbedding, await readJson(req, abort.signal), abort.signal);
        case 'POST /api/pull':
          return await ollamaPull(engine, await readJson(req, abort.signal), res, abort.signal, {
            onRetry: () => metrics.retry(),
            onFallback: (failed) => metrics.fallback(failed.id),
          });
        default: {
          const control = /^POST \/acode\/providers\/([a-z][a-z0-9_-]*)\/(start|stop)$/.exec(key);
          if (control && options.control) {
            const [, id, action] = control as unknown as [string, string, 'start' | 'stop'];
            if (engine.config.providers[id] === undefined) engine.route(id);
            return sendJson(res, 200, await options.control[action](id, abort.signal));
          }
          throw refuse(
            404,
            `${method} ${path} is not a route of the acode gateway.`,
            'OpenAI routes are under /v1, Ollama routes under /api.',
          );
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) sendError(res, protocol, error);
      else if (isAcodeError(abort.signal.reason)) sendError(res, protocol, abort.signal.reason);
      else if (!res.writableEnded) res.end();
    } finally {
      inFlight.delete(abort);
    }
  }

  function openAiFramer(model: string, includeUsage: boolean): Framer {
    const s = new OpenAiChatStream(model, includeUsage);
    return {
      contentType: 'text/event-stream',
      progress: (line) => s.progress(line),
      chunk: (c) => s.chunk(c),
      error: (e) => s.error(e),
    };
  }

  function ollamaFramer(s: OllamaStream): Framer {
    return {
      contentType: 'application/x-ndjson',
      progress: () => s.progress(),
      chunk: (c) => s.chunk(c),
      error: (e) => s.error(e),
    };
  }

  return {
    metrics,
    /** Listens on host:port; resolves with the bound address (port 0 = any free port). */
    async listen(signal?: AbortSignal): Promise<AddressInfo> {
      server = createServer((req, res) => void handle(req, res));
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          reject(
            error.code === 'EADDRINUSE'
              ? new AcodeError(
                  'PORT_IN_USE',
                  `Port ${options.port} on ${options.host} is in use; the gateway cannot listen there.`,
                  'Stop what holds it, or pass --port with a free port.',
                  { details: { port: options.port } },
                )
              : error,
          );
        };
        server!.once('error', onError);
        server!.listen(options.port, options.host, () => {
          server!.off('error', onError);
          resolve();
        });
        signal?.addEventListener('abort', () => reject(new AcodeError('ABORTED', 'Interrupted.', 'Nothing to do.')), {
          once: true,
        });
      });
      return server.address() as AddressInfo;
    },
    /** Stops accepting requests, waits for the ones in flight (bounded), then aborts what is left. */
    async close(drainMs = 10_000): Promise<void> {
      draining = true;
      stopObserving();
      const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server?.closeIdleConnections();
      const deadline = Date.now() + drainMs;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Past the bound, what is left ends with the protocol's typed error, written before the sockets close.
      const cut = new AcodeError(
        'STREAM_INTERRUPTED',
        `The gateway shut down before this answer finished (it drains requests for ${drainMs / 1000} s).`,
        'Send the request again once acode serve runs again.',
        { details: { httpStatus: 503 } },
      );
      for (const a of inFlight) a.abort(cut);
      const written = Date.now() + ABORTED_WRITE_MS;
      while (inFlight.size > 0 && Date.now() < written) await new Promise((r) => setTimeout(r, 20));
      server?.closeAllConnections();
      await closed;
    },
    get inFlight(): number {
      return inFlight.size;
    },
  };
}

function engineProvider(headers: Record<string, string>): string {
  return headers['x-acode-provider'] ?? 'none';
}

/**
 * After a restart, the part of the new answer the client has not seen: '' while it is still repeating
 * what was sent, the new tail once it goes past it, undefined when it differs from what was sent.
 */
export function unsentPart(sent: string, regenerated: string): string | undefined {
  if (regenerated.length <= sent.length) return sent.startsWith(regenerated) ? '' : undefined;
  return regenerated.startsWith(sent) ? regenerated.slice(sent.length) : undefined;
}

export type Gateway = ReturnType<typeof createGateway>;
