// POST /api/pull ({model | name, stream}): routed like any request. An Ollama backend pulls through its
// own /api/pull and its progress lines pass through; a vLLM backend has no pull API, so acode downloads
// the model into the Hugging Face cache itself (as `acode models pull --provider vllm` does, refused in
// airgapped mode or with models.allow_download: false) and reports it in the same line shape. Other
// backends load files they are given: a 400 that says so. Streamed (the default) the 200 goes out with
// the first line and a later failure is an `{"error": ...}` line, as Ollama ends a failed pull. An Ollama
// server that dies mid-pull is restarted and the pull asked again (a status line says so), within the
// request machine's retry budget.
import type { ServerResponse } from 'node:http';
import { AcodeError } from '../config/index.js';
import { hubEnv, isRepoId, type PullProgress } from '../adapters/index.js';
import { hubDownloadRefusal, pullHubModel, type HubPullProgress } from '../actors/index.js';
import type { AnswerEvents, Engine } from './engine.js';
import { asAcodeError, badRequest, ollamaErrorBody } from './errors.js';
import { isObject } from './body-fields.js';

// One line per file and whole percent: the hub pull reports every network chunk.
function hubLines(write: (p: PullProgress) => void): (p: HubPullProgress) => void {
  let last = '';
  return (p) => {
    const key = `${p.file} ${p.fileTotal > 0 ? Math.floor((p.fileCompleted / p.fileTotal) * 100) : 0}`;
    if (key === last) return;
    last = key;
    write({ status: `pulling ${p.file}`, digest: p.file, total: p.fileTotal, completed: p.fileCompleted });
  };
}

/** Runs the pull the routed provider's kind allows, reporting each progress line. */
async function pullFor(
  engine: Engine,
  name: string,
  signal: AbortSignal,
  write: (p: PullProgress) => void,
  events: AnswerEvents,
): Promise<void> {
  const route = engine.route(name);
  const p = engine.config.providers[route.provider]!;
  const model = route.model ?? p.model;
  if (model === undefined)
    throw badRequest(
      `/api/pull: "${name}" names provider ${p.id}, which has no configured model.`,
      `Send "${p.id}/<model>".`,
    );
  if (p.kind === 'vllm') {
    if (!isRepoId(model))
      throw badRequest(
        `/api/pull: "${model}" is not a Hugging Face model id, so ${p.id} (vLLM) cannot pull it.`,
        'Send it as org/name, e.g. Qwen/Qwen2.5-0.5B-Instruct.',
      );
    const refusal = hubDownloadRefusal(engine.config, p, model);
    if (refusal) throw refusal;
    write({ status: 'pulling manifest' });
    await pullHubModel(hubEnv(process.env), model, { signal, onProgress: hubLines(write) });
    write({ status: 'success' });
    return;
  }
  if (p.type !== 'ollama') {
    throw badRequest(
      `/api/pull: ${p.id} (${p.kind}) cannot pull models; it serves the model file it was started with.`,
      `Download the model file yourself and point ${p.id}'s model at it, or pull through an Ollama or vLLM provider.`,
    );
  }
  // A server that goes away mid-pull is restarted and asked again (the request machine's retry budget):
  // Ollama keeps the layers it had and resumes the partial one, and its lines say where it is again.
  await engine.call(
    route,
    async (provider, _id, callSignal) => {
      if (!provider.pull)
        throw badRequest(`/api/pull: ${p.id} cannot pull models.`, 'Pull through an Ollama or vLLM provider.');
      for await (const line of provider.pull(model, { signal: callSignal })) write(line);
    },
    {
      ...events,
      onRetry: (info) => {
        events.onRetry?.(info);
        write({ status: `${p.id} went away mid-pull (${info.code}); pulling again, retry ${info.attempt}` });
      },
    },
    signal,
  );
}

/** POST /api/pull; `events` hear the retries (the gateway's metrics), as an answer's do. */
export async function ollamaPull(
  engine: Engine,
  body: unknown,
  res: ServerResponse,
  signal: AbortSignal,
  events: AnswerEvents = {},
): Promise<void> {
  if (!isObject(body))
    throw badRequest('/api/pull: the body is not a JSON object.', 'Send {"model": "<provider>/<model>"}.');
  const name = typeof body.model === 'string' && body.model !== '' ? body.model : body.name;
  if (typeof name !== 'string' || name === '')
    throw badRequest('/api/pull: "model" is missing.', 'Send {"model": "<provider>/<model>"}.');
  const stream = body.stream !== false;
  let last: PullProgress | undefined;
  const write = (p: PullProgress): void => {
    last = p;
    if (!stream) return;
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    res.write(`${JSON.stringify(p)}\n`);
  };
  try {
    await pullFor(engine, name, signal, write, events);
    if (last?.status !== 'success')
      throw new AcodeError(
        'PULL_FAILED',
        `/api/pull: the pull of "${name}" ended without success.`,
        'Pull again; a second pull resumes where this one stopped.',
      );
  } catch (error) {
    if (!res.headersSent || signal.aborted) throw error;
    res.end(`${JSON.stringify(ollamaErrorBody(asAcodeError(error)))}\n`);
    return;
  }
  if (stream) res.end();
  else {
    const text = JSON.stringify({ status: 'success' });
    res
      .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
      .end(text);
  }
}
