// The request machine's actors (machines/request.machine.ts): pick and get a provider healthy, stream one
// attempt into the caller's sink, recover after a broken request. A request broken because the server
// went away is retried once the service is healthy again, and a broken stream is resumed or restarted
// without showing the user duplicated or spliced text. `resilientProvider` is the same machine pinned to
// one provider, handed out as a ModelProvider.
//
// Which path a broken stream takes, per provider kind (decided by the adapter's
// capabilities.continueFinalMessage, which the adapters set per kind):
//
// | kind      | path    | how                                                                              |
// |-----------|---------|----------------------------------------------------------------------------------|
// | vllm      | resume  | partial text sent back as a trailing assistant message, continue_final_message    |
// | ollama    | resume  | /api/chat with a trailing assistant message: Ollama prefills and continues it      |
// | llamacpp  | restart | re-request; the consumer gets { type: 'restarted' } first and discards what it had |
// | lmstudio  | restart | same as llamacpp (no documented continuation)                                    |
// | custom    | either  | whatever its adapter (wire type) declares                                         |
//
// A stream that had emitted tool-call deltas always restarts: a half-built call cannot be continued (the
// machine's resume rule). A raw text completion (a TextJob: /v1/completions, fill in the middle) always
// resumes, on every kind: the text shown is appended to its prompt (or infill prefix), which every
// server continues. A CallJob (embeddings, a pull) shows no text, so a broken one is simply made again.
//
// The usage of an answer that took several requests is what the servers processed for it, summed over
// the requests (each server reports only its own request, and a broken one reports nothing):
// - the request that finished counts as its server reports it: a resumed request's prompt includes the
//   partial text that was sent back to be continued;
// - a request that broke after delivering text counts that text as completion (one streamed chunk is one
//   token on these servers) and, as prompt, the finished request's prompt less what that one resent,
//   plus what the broken one itself resent (a restart resends nothing, so it counts the same prompt);
// - a request that broke before any text counts nothing: whether the server read its prompt is unknown
//   (a refused connection never reached it).
// totalTokens is always promptTokens + completionTokens.
import { createActor, fromCallback, fromPromise, type Actor, type InspectionEvent } from 'xstate';
import type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ModelProvider,
  StreamChunk,
  CallOptions,
  TextCompletionRequest,
  Usage,
} from '../adapters/index.js';
import { AcodeError, type ProviderKind } from '../config/index.js';
import { reasonOf } from './request-errors.js';
import {
  requestMachine,
  type RequestInput,
  type RequestEvent,
  type RetryInfo,
  type Selection,
} from './request.machine.js';

export const RESUME_PATH: Record<ProviderKind, 'resume' | 'restart' | 'adapter'> = {
  vllm: 'resume',
  ollama: 'resume',
  llamacpp: 'restart',
  lmstudio: 'restart',
  custom: 'adapter',
};

/** The two things the retry layer needs from a service: report a broken request, wait until usable. */
export interface RecoverableService {
  ensureHealthy(opts?: { signal?: AbortSignal }): Promise<ModelProvider>;
  requestFailed(error?: unknown): void;
}

/** Where a request's providers come from: the registry (ranked, with fallback) or one handed-out provider. */
export interface ProviderSource {
  /** The allowed candidates, best first, without `exclude`; throws when the request names an unknown one. */
  select(exclude: readonly string[]): Selection;
  /** A healthy adapter for `id`. */
  acquire(id: string, signal?: AbortSignal): Promise<ModelProvider>;
  /** Reports the broken request to `id`'s service and waits until it is healthy again. */
  recover(id: string, error: unknown, signal?: AbortSignal): Promise<ModelProvider>;
}

/** Where the answer goes, as it arrives (never through a machine transition). */
export interface AnswerSink {
  /** Every chunk in order, `restarted` included. */
  chunk(chunk: StreamChunk): void;
  /** The whole answer of a complete() request. */
  response?(res: ChatResponse, provider: string): void;
}

interface JobBase {
  /** An answer must end with a final chunk (an answer for the user); a raw stream may just end. */
  requireFinal: boolean;
  sink: AnswerSink;
  signal?: AbortSignal;
}

/** A chat answer. */
export interface RequestJob extends JobBase {
  /** The request as provider `id` gets it (its own model unless the user's was meant for it). */
  request: (id: string) => ChatRequest;
  /** stream(), or one complete() call. */
  mode: 'stream' | 'complete';
}

/**
 * A raw text completion (fill in the middle with a suffix), streamed through completeText(). Every
 * server continues a raw prompt, so a broken one is resumed with the text shown appended to the prompt.
 */
export interface TextJob extends JobBase {
  request: (id: string) => TextCompletionRequest;
  mode: 'text';
}

/**
 * One idempotent call (embeddings, a pull): nothing is resumed, a call broken because the server went
 * away is made again once the service is healthy. What it produces goes wherever `call` puts it.
 */
export interface CallJob {
  mode: 'call';
  call: (adapter: ModelProvider, id: string, signal: AbortSignal | undefined) => Promise<void>;
  signal?: AbortSignal;
}

export type AnyJob = RequestJob | TextJob | CallJob;

/**
 * Creates a root actor of `logic` (its own system: the request's session is keyed by it) and starts
 * nothing: the caller starts the actor (so it can subscribe first).
 */
export type SpawnRequest = (logic: typeof requestMachine, input: RequestInput) => Actor<typeof requestMachine>;

const plainSpawn =
  (inspect?: (event: InspectionEvent) => void): SpawnRequest =>
  (logic, input) =>
    createActor(logic, { input, ...(inspect ? { inspect } : {}) });

/**
 * The request that continues `shown` (`shownChunks` tokens) where the server can continue a trailing
 * assistant message. A max-tokens limit counts what the servers generate per request, so the
 * continuation may only have what is left of it (at least 1: servers refuse 0, so a break exactly at the
 * limit may cost one token over it).
 */
export function continuationRequest(req: ChatRequest, shown: string, shownChunks = 0): ChatRequest {
  const last = req.messages.at(-1);
  const messages: ChatMessage[] =
    req.continueFinalMessage && last?.role === 'assistant'
      ? [...req.messages.slice(0, -1), { ...last, content: last.content + shown }]
      : [...req.messages, { role: 'assistant', content: shown }];
  const maxTokens = req.sampling?.maxTokens;
  return {
    ...req,
    messages,
    continueFinalMessage: true,
    ...(maxTokens !== undefined
      ? { sampling: { ...req.sampling, maxTokens: Math.max(1, maxTokens - shownChunks) } }
      : {}),
  };
}

/** The text completion that continues `shown`: the prompt as far as the client has it (see continuationRequest). */
function textContinuation(req: TextCompletionRequest, shown: string, shownChunks = 0): TextCompletionRequest {
  const maxTokens = req.sampling?.maxTokens;
  return {
    ...req,
    prompt: req.prompt + shown,
    ...(maxTokens !== undefined
      ? { sampling: { ...req.sampling, maxTokens: Math.max(1, maxTokens - shownChunks) } }
      : {}),
  };
}

/** A request that broke after delivering text: how many chunks it had resent, and delivered. */
interface BrokenRequest {
  resent: number;
  delivered: number;
}

/** The finished request's usage plus the broken requests before it (see the header for what counts). */
function answerUsage(final: Usage, resent: number, broken: readonly BrokenRequest[]): Usage {
  const basePrompt = Math.max(0, final.promptTokens - resent);
  let promptTokens = final.promptTokens;
  let completionTokens = final.completionTokens;
  for (const b of broken) {
    promptTokens += basePrompt + b.resent;
    completionTokens += b.delivered;
  }
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/**
 * One request's I/O and what it has shown so far (to resume after it, and the usage of broken attempts):
 * it stays here, next to the stream, so the machine only sees lifecycle events.
 */
class RequestSession {
  current: ModelProvider | undefined;
  shown = '';
  shownChunks = 0;
  sawToolCalls = false;
  /** Text chunks the current attempt resent (a resume), and delivered. */
  resent = 0;
  delivered = 0;
  readonly broken: BrokenRequest[] = [];
  lastError: unknown;

  constructor(
    readonly source: ProviderSource,
    readonly job: AnyJob,
  ) {}

  // Whether this attempt resumes after what was shown; a restart first tells the sink that what it
  // showed is void.
  beginAttempt(sink: AnswerSink, id: string, path: RetryInfo['path'] | undefined, attempt: number): boolean {
    if (path === 'resume') {
      this.resent = this.shownChunks;
      return true;
    }
    this.resent = 0;
    if (path === 'restart') {
      sink.chunk({ type: 'restarted', reason: reasonOf(id, this.lastError).message, attempt });
      this.shown = '';
      this.shownChunks = 0;
      this.sawToolCalls = false;
    }
    return false;
  }

  // One attempt of the job: the continuation after a resume, the original request otherwise.
  async run(
    adapter: ModelProvider,
    input: { provider: string; path?: RetryInfo['path']; attempt: number },
    send: (e: RequestEvent) => void,
    stopped: () => boolean,
  ): Promise<void> {
    const { job } = this;
    if (job.mode === 'call') return job.call(adapter, input.provider, job.signal);
    const resuming = this.beginAttempt(job.sink, input.provider, input.path, input.attempt);
    if (job.mode === 'text') {
      if (!adapter.completeText)
        throw new AcodeError(
          'BAD_REQUEST',
          `${adapter.id} cannot answer raw completions.`,
          'Use /v1/chat/completions or /api/chat.',
          { details: { provider: adapter.id, httpStatus: 400 } },
        );
      const req = job.request(input.provider);
      const chunks = adapter.completeText(resuming ? textContinuation(req, this.shown, this.shownChunks) : req, {
        signal: job.signal,
      });
      return this.streamAttempt(adapter, chunks, job, send, stopped);
    }
    const req = job.request(input.provider);
    const sent = resuming ? continuationRequest(req, this.shown, this.shownChunks) : req;
    if (job.mode === 'complete') {
      const sink = job.sink;
      return adapter.complete(sent, { signal: job.signal }).then((res) => {
        if (!stopped()) sink.response?.(res, input.provider);
      });
    }
    return this.streamAttempt(adapter, adapter.stream(sent, { signal: job.signal }), job, send, stopped);
  }

  async streamAttempt(
    adapter: ModelProvider,
    chunks: AsyncIterable<StreamChunk>,
    { sink, requireFinal }: JobBase,
    send: (e: RequestEvent) => void,
    stopped: () => boolean,
  ): Promise<void> {
    let started = false;
    let final = false;
    for await (const chunk of chunks) {
      if (stopped()) return;
      if (chunk.type === 'text') {
        this.shown += chunk.text;
        this.shownChunks++;
        this.delivered++;
        if (!started) {
          started = true;
          send({ type: 'STREAM_STARTED' });
        }
      } else if (chunk.type === 'tool_call_delta') {
        this.sawToolCalls = true;
      } else if (chunk.type === 'final') {
        final = true;
        if (chunk.usage && this.broken.length > 0) {
          sink.chunk({ ...chunk, usage: answerUsage(chunk.usage, this.resent, this.broken) });
          continue;
        }
      }
      sink.chunk(chunk);
    }
    if (!final && requireFinal) {
      throw new AcodeError(
        'PROTOCOL_ERROR',
        `${adapter.id}: the answer ended without a final chunk.`,
        'Check the server log; this server may be incompatible.',
      );
    }
  }

  /** One attempt (the streamAnswer actor): returns its stop. */
  attempt(
    input: { provider: string; path?: RetryInfo['path']; attempt: number },
    sendBack: (e: RequestEvent) => void,
  ): () => void {
    let stopped = false;
    const adapter = this.current!;
    this.run(adapter, input, sendBack, () => stopped).then(
      () => {
        if (!stopped) sendBack({ type: 'ANSWERED' });
      },
      (error: unknown) => {
        if (stopped) return;
        if (this.delivered > 0) this.broken.push({ resent: this.resent, delivered: this.delivered });
        this.delivered = 0;
        this.lastError = error;
        sendBack({
          type: 'INTERRUPTED',
          error,
          textShown: this.shown !== '',
          toolCalls: this.sawToolCalls,
          // A raw prompt is continued by every server: the text shown is appended to it.
          canContinue: this.job.mode === 'text' || adapter.capabilities.continueFinalMessage,
        });
      },
    );
    return () => {
      stopped = true;
    };
  }
}

// Each request machine is a root actor with its own system; its invoked actors find the request's
// session through it. The machine is provided once: providing per request rebuilt the whole machine
// (state nodes, transitions) for every request, about half of the gateway's CPU per request.
const sessions = new WeakMap<object, RequestSession>();
const sessionOf = (system: object): RequestSession => sessions.get(system)!;

// fromPromise's logic, started without the AbortController it makes for every invocation (two per
// request, about 1.5 % of the gateway's CPU in a profile): cancellation comes from the request's own
// signal (job.signal). The result reaches the actor as fromPromise's own resolve/reject events.
function sessionPromise<O, I>(run: (input: I, session: RequestSession) => Promise<O>) {
  const logic = fromPromise<O, I>(({ input, system }) => run(input, sessionOf(system)));
  logic.start = (state, { self, system }) => {
    if (state.status !== 'active') return;
    const settle = (type: string) => (data: unknown) => {
      if (self.getSnapshot().status === 'active') self.send({ type, data });
    };
    run(state.input!, sessionOf(system)).then(settle('xstate.promise.resolve'), settle('xstate.promise.reject'));
  };
  return logic;
}

/** The request machine with its live actors; each actor reads its request's session (see runRequest). */
const liveRequestMachine = requestMachine.provide({
  actors: {
    selectProvider: sessionPromise<Selection, { exclude: string[] }>(async (input, session) =>
      session.source.select(input.exclude),
    ),
    acquireProvider: sessionPromise<{ id: string }, { provider: string }>(async (input, session) => {
      session.current = await session.source.acquire(input.provider, session.job.signal);
      return { id: input.provider };
    }),
    recoverProvider: sessionPromise<{ id: string }, { provider: string; error: unknown }>(async (input, session) => {
      session.current = await session.source.recover(input.provider, input.error, session.job.signal);
      return { id: input.provider };
    }),
    streamAnswer: fromCallback<RequestEvent, { provider: string; path?: RetryInfo['path']; attempt: number }>(
      ({ input, system, sendBack }) => sessionOf(system).attempt(input, sendBack),
    ),
  },
});

/**
 * Runs one request machine to its end: chunks go to `job.sink` as they arrive; retries and fallbacks are
 * told through `on`. Resolves with the provider that answered, or rejects with the request's error.
 */
export async function runRequest(
  source: ProviderSource,
  job: AnyJob,
  input: RequestInput,
  spawn: SpawnRequest,
  on: {
    retry?: (info: RetryInfo) => void;
    fallback?: (failed: ReturnType<typeof reasonOf>, next: string) => void;
    started?: (actor: Actor<typeof requestMachine>) => void;
  } = {},
) {
  const actor = spawn(liveRequestMachine, input);
  sessions.set(actor.system, new RequestSession(source, job));
  if (on.retry) actor.on('retry', (e) => on.retry!(e.info));
  if (on.fallback) actor.on('fallback', (e) => on.fallback!(e.failed, e.next));
  const cancel = () => actor.send({ type: 'CANCEL' });
  job.signal?.addEventListener('abort', cancel, { once: true });
  const ended = new Promise<void>((resolve) => actor.subscribe({ complete: () => resolve(), error: () => resolve() }));
  try {
    actor.start();
    on.started?.(actor);
    await ended;
  } finally {
    job.signal?.removeEventListener('abort', cancel);
    actor.stop();
  }
  const output = actor.getSnapshot().output;
  if (!output || output.error !== undefined || output.provider === undefined)
    throw output?.error ?? actor.getSnapshot().error;
  return output;
}

/**
 * Chunks pushed by the stream actor, pulled by the caller's for-await: one plain iterator (no generator
 * around a generator), so a chunk costs an array slot and a resolved promise. `stop` runs when the
 * caller leaves early.
 */
function chunkQueue(stop: () => Promise<void>) {
  let buffered: StreamChunk[] = [];
  let read = 0;
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const iterator: AsyncIterator<StreamChunk> = {
    next(): Promise<IteratorResult<StreamChunk>> {
      if (read < buffered.length) {
        const value = buffered[read++]!;
        if (read === buffered.length) {
          buffered = [];
          read = 0;
        }
        return Promise.resolve({ value, done: false });
      }
      if (failure)
        return Promise.reject(
          failure.error instanceof Error ? failure.error : new Error(JSON.stringify(failure.error)),
        );
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise<void>((resolve) => {
        wake = resolve;
      }).then(() => iterator.next());
    },
    async return(): Promise<IteratorResult<StreamChunk>> {
      ended = true;
      await stop();
      return { value: undefined, done: true };
    },
  };
  return {
    sink: {
      chunk(chunk: StreamChunk) {
        buffered.push(chunk);
        if (wake) notify();
      },
    } satisfies AnswerSink,
    end(error?: { error: unknown }) {
      if (ended) return;
      ended = true;
      failure = error;
      notify();
    },
    iterator,
  };
}

/**
 * Runs a request machine in stream mode (a chat, or a text job) and hands its chunks to a for-await:
 * the machine starts when iteration does, and leaving the loop early stops it.
 */
export function streamRequest(
  source: ProviderSource,
  job: Omit<RequestJob, 'sink' | 'mode'> | Omit<TextJob, 'sink'>,
  input: RequestInput,
  spawn: SpawnRequest,
  on: Parameters<typeof runRequest>[4] = {},
): AsyncIterable<StreamChunk> {
  return {
    [Symbol.asyncIterator]() {
      let actor: Actor<typeof requestMachine> | undefined;
      let done: Promise<void> = Promise.resolve();
      const queue = chunkQueue(async () => {
        actor?.stop();
        await done;
      });
      const streamed: AnyJob =
        'mode' in job ? { ...job, sink: queue.sink } : { ...job, mode: 'stream', sink: queue.sink };
      done = runRequest(source, streamed, input, spawn, {
        ...on,
        started: (a) => {
          actor = a;
          on.started?.(a);
        },
      }).then(
        () => queue.end(),
        (error: unknown) => queue.end({ error }),
      );
      return queue.iterator;
    },
  };
}

export interface ResilientOptions {
  /** Retries after the first attempt (the "at most 3 times"). */
  maxRetries?: number;
  onRetry?: (info: RetryInfo) => void;
  /** How request actors are created (the registry's, so they are inspected and recorded). */
  spawn?: SpawnRequest;
}

/** Wraps `initial` (the adapter `service` handed out) with retry, resume and restart: a request machine pinned to it. */
export function resilientProvider(
  service: RecoverableService,
  initial: ModelProvider,
  options: ResilientOptions = {},
): ModelProvider {
  const id = initial.id;
  let current = initial;
  const source: ProviderSource = {
    select: (exclude) => ({ order: exclude.includes(id) ? [] : [id], refused: [] }),
    acquire: async () => current,
    async recover(_id, error, signal) {
      service.requestFailed(error);
      current = await service.ensureHealthy({ signal });
      return current;
    },
  };
  const spawn = options.spawn ?? plainSpawn();
  const input: RequestInput = {
    fallback: false,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
  };
  const on = options.onRetry ? { retry: options.onRetry } : {};

  async function complete(req: ChatRequest, opts: CallOptions = {}): Promise<ChatResponse> {
    let answered: ChatResponse | undefined;
    const sink: AnswerSink = {
      chunk: () => {},
      response: (res) => {
        answered = res;
      },
    };
    await runRequest(
      source,
      {
        request: () => req,
        mode: 'complete',
        requireFinal: false,
        sink,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      input,
      spawn,
      on,
    );
    return answered!;
  }

  function stream(req: ChatRequest, opts: CallOptions = {}): AsyncIterable<StreamChunk> {
    return streamRequest(
      source,
      { request: () => req, requireFinal: false, ...(opts.signal ? { signal: opts.signal } : {}) },
      input,
      spawn,
      on,
    );
  }

  return {
    get id() {
      return current.id;
    },
    get capabilities() {
      return current.capabilities;
    },
    complete,
    stream,
    health: (opts) => current.health(opts),
    listModels: (opts) => current.listModels(opts),
    modelInfo: (id, opts) => current.modelInfo(id, opts),
    ...(initial.pull
      ? {
          pull: (model: string, opts?: CallOptions) =>
            current.pull ? current.pull(model, opts) : initial.pull!(model, opts),
        }
      : {}),
    close: () => current.close(),
  };
}
