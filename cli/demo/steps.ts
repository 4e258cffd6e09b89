// The demo's walk through the lifecycle, one function per step, all against one registry over the
// stand-in servers: cold start, pull, streamed answer, kill mid-stream + retry, port conflict.
import { createServer, type Server } from 'node:http';
import { AcodeError, isAcodeError } from '../../config/index.js';
import {
  answer,
  progressLine,
  type ProviderStatus,
  type Registry,
  type ServiceSnapshot,
} from '../../machines/index.js';
import type { Narrator } from './narrator.js';

const DEMO_PROMPT = 'Explain in one line what acode does with a local LLM server.';

export interface DemoContext {
  registry: Registry;
  say: Narrator;
  signal: AbortSignal;
  /** Every pid a stand-in we started ran as (so the final check can prove none is left). */
  pids: Set<number>;
}

/** Prints lifecycle changes as they happen (pulls in 10 % steps) and notes every pid we started. */
export function watchProgress(ctx: DemoContext): () => void {
  let last = new Map<string, string>();
  return ctx.registry.onStatus((s: ProviderStatus) => {
    if (typeof s.pid === 'number' && s.owned && !ctx.pids.has(s.pid)) {
      ctx.pids.add(s.pid);
      ctx.say.line(`  stand-in ${s.id} process started: pid ${s.pid}`);
    }
    let line = progressLine(s);
    if (line === undefined) return;
    if (s.modelState === 'pulling')
      line = line.replace(/(\d+)%$/, (_, p: string) => `${Math.floor(Number(p) / 10) * 10}%`);
    if (last.get(s.id) === line) return;
    last = new Map(last).set(s.id, line);
    ctx.say.line(`  ${line}`);
  });
}

function snapshotOf(ctx: DemoContext, id: string): ServiceSnapshot | undefined {
  return ctx.registry.actor.getSnapshot().context.services[id]?.getSnapshot();
}

/** Frames of the services this demo has touched so far. */
export async function showFrame(ctx: DemoContext): Promise<void> {
  const services = ctx.registry.config.providers;
  const shown = Object.values(services).flatMap((p) => {
    const snapshot = snapshotOf(ctx, p.id);
    return snapshot ? [{ snapshot, kind: p.kind, ...(p.model !== undefined ? { model: p.model } : {}) }] : [];
  });
  await ctx.say.frame(shown);
}

function pidOf(ctx: DemoContext, id: string): number {
  const pid = snapshotOf(ctx, id)?.context.pid;
  if (typeof pid !== 'number')
    throw new AcodeError(
      'INTERNAL',
      `The demo expected ${id} to run with a known pid.`,
      'This is a bug in the demo; report it.',
    );
  return pid;
}

export async function coldStart(ctx: DemoContext, id: string): Promise<void> {
  const t0 = performance.now();
  await ctx.registry.getProvider(id, { signal: ctx.signal });
  ctx.say.line(
    `  ${id} healthy with its model ready after ${((performance.now() - t0) / 1000).toFixed(1)} s (pid ${pidOf(ctx, id)})`,
  );
}

/** One streamed answer; `onChunk` sees the chunk count (the kill step uses it). */
export async function streamAnswer(
  ctx: DemoContext,
  id: string,
  onChunk?: (n: number) => void,
): Promise<{ text: string; retries: number }> {
  let chunks = 0;
  let open = false;
  const result = await answer(
    ctx.registry,
    { messages: [{ role: 'user', content: DEMO_PROMPT }] },
    {
      preferred: id,
      signal: ctx.signal,
      onText: (t) => {
        if (!open) ctx.say.text('  > ');
        open = true;
        ctx.say.text(t.replace(/\n/g, ' '));
        onChunk?.(++chunks);
      },
      onRetry: (r) => {
        if (open) ctx.say.text('\n');
        open = false;
        ctx.say.line(
          `  request retried: ${r.provider} ${r.code} (${r.reason}); ${r.path === 'resume' ? 'resuming after the text already shown' : 'retrying'} (retry ${r.attempt})`,
        );
      },
      onRestarted: () => {
        if (open) ctx.say.text('\n');
        open = false;
        ctx.say.line('  the answer starts over below');
      },
    },
  );
  if (open) ctx.say.text('\n');
  ctx.say.line(
    `  answered by ${result.provider} (${result.model}), ${result.usage?.completionTokens ?? '?'} tokens, ${result.timings.totalMs} ms`,
  );
  return { text: result.text, retries: result.retries.length };
}

export async function killMidStream(ctx: DemoContext, id: string, reference: string): Promise<void> {
  const victim = pidOf(ctx, id);
  let killed = false;
  const { text, retries } = await streamAnswer(ctx, id, (n) => {
    if (killed || n < 6) return;
    killed = true;
    process.kill(victim, 'SIGKILL');
    ctx.say.text('\n');
    ctx.say.line(`  ** killed the ${id} stand-in (pid ${victim}) with SIGKILL after ${n} chunks **`);
  });
  if (!killed)
    throw new AcodeError(
      'INTERNAL',
      'The demo answer ended before the server could be killed.',
      'This is a bug in the demo; report it.',
    );
  const after = pidOf(ctx, id);
  ctx.say.line(`  recovered: ${id} restarted as pid ${after}, ${retries} request retr${retries === 1 ? 'y' : 'ies'}`);
  ctx.say.line(
    `  the recovered answer is ${text === reference ? 'identical to' : 'DIFFERENT from'} the uninterrupted one`,
  );
  if (text !== reference)
    throw new AcodeError(
      'INTERNAL',
      'The answer after the crash differs from the uninterrupted one.',
      'This is a bug in the crash-safe stream; report it.',
    );
}

/** Someone else's HTTP server on the port a provider is configured for. */
function occupyPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const stranger = createServer((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not an LLM server'),
    );
    stranger.once('error', reject);
    stranger.listen(port, '127.0.0.1', () => resolve(stranger));
  });
}

export async function portConflict(ctx: DemoContext, id: string, port: number): Promise<void> {
  const stranger = await occupyPort(port);
  ctx.say.line(
    `  another program (an HTTP server inside this demo process, pid ${process.pid}) now listens on 127.0.0.1:${port}, the port ${id} is configured for`,
  );
  try {
    await ctx.registry.getProvider(id, { signal: ctx.signal });
    throw new AcodeError(
      'INTERNAL',
      `${id} became usable although its port is taken.`,
      'This is a bug in the demo; report it.',
    );
  } catch (error) {
    if (!isAcodeError(error) || error.code !== 'PORT_IN_USE') throw error;
    ctx.say.line(`  error[${error.code}]: ${error.message}`);
    ctx.say.line(`  hint: ${error.hint}`);
  } finally {
    await new Promise<void>((resolve) => stranger.close(() => resolve()));
    stranger.closeAllConnections();
  }
}
