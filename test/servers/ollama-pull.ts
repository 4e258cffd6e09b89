// /api/pull as Ollama streams it: manifest, per-layer digest/total/completed progress, verifying, writing,
// success; failures as an NDJSON {"error"} line in a 200 stream (or a 500 when stream is false).

import type { RequestContext } from './lib/http-core.js';
import { json } from './lib/http-core.js';
import { delay } from './lib/runtime.js';
import { layersFor, normalizeName } from './ollama-store.js';
import { ollamaError, readRequest, type Body, type OllamaState } from './ollama-state.js';

class PullFailed extends Error {}

export function pullHandler(s: OllamaState): (ctx: RequestContext) => Promise<void> {
  return async ({ body, reply }) => {
    const req = await readRequest(body, reply);
    if (!req) return;
    const raw =
      typeof req.model === 'string' && req.model !== '' ? req.model : typeof req.name === 'string' ? req.name : '';
    const full = normalizeName(raw);
    if (full === null) return ollamaError(reply, 400, 'invalid model name');
    const stream = req.stream !== false;
    if (stream) reply.open(200, { 'Content-Type': 'application/x-ndjson' });
    let last: Body = {};
    const emit = async (obj: Body): Promise<void> => {
      last = obj;
      if (stream) await reply.write(`${JSON.stringify(obj)}\n`);
    };
    const { pullBytes, pullBytesPerSecond: bps, pullFailAtPercent: failAt } = s.runtime.knobs;
    try {
      await emit({ status: 'pulling manifest' });
      if (!s.catalogue.has(full)) throw new PullFailed('pull model manifest: file does not exist');
      const manifest = layersFor(full, pullBytes);
      const existing = s.store.get(full) !== null;
      const grand = manifest.layers.reduce((n, l) => n + l.size, 0);
      let fetched = 0;
      for (const layer of manifest.layers) {
        const status = `pulling ${layer.digest.slice(7, 19)}`;
        if (existing) {
          await emit({ status, digest: layer.digest, total: layer.size, completed: layer.size });
          continue;
        }
        await emit({ status, digest: layer.digest, total: layer.size });
        let completed = 0;
        // Without a speed knob, ~8 progress lines per layer; with one, a line per 50 ms of transfer.
        const step = bps === null ? Math.ceil(layer.size / 8) : Math.max(1, Math.floor(bps / 20));
        while (completed < layer.size) {
          if (reply.signal.aborted) return;
          const next = Math.min(layer.size, completed + step);
          if (failAt !== null && ((fetched + next) / grand) * 100 >= failAt) {
            s.log(
              'INFO',
              'download.go:176',
              `${layer.digest.slice(7, 19)} part 0 attempt 5 failed: unexpected EOF, retrying`,
            );
            throw new PullFailed('max retries exceeded: unexpected EOF');
          }
          if (bps !== null) await delay(Math.ceil(((next - completed) * 1000) / bps));
          completed = next;
          await emit({ status, digest: layer.digest, total: layer.size, completed });
        }
        fetched += layer.size;
      }
      await emit({ status: 'verifying sha256 digest' });
      await emit({ status: 'writing manifest' });
      s.store.write(full, manifest);
      await emit({ status: 'success' });
    } catch (err) {
      if (!(err instanceof PullFailed)) throw err;
      if (!stream) return ollamaError(reply, 500, err.message);
      await reply.write(`${JSON.stringify({ error: err.message })}\n`);
      return reply.end();
    }
    if (!stream) return json(reply, 200, last, 'application/json; charset=utf-8');
    return reply.end();
  };
}
