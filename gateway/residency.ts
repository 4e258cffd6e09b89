// Which servers the gateway keeps up: a server acode started is stopped after its idle_stop_seconds
// without requests, and before another is started when serve.max_loaded would be passed or the new one
// would not fit in memory beside them (the least recently used idle ones first; never one with requests
// in flight, as llama-swap's swapper waits). Servers acode did not start are never stopped, and do not
// count: their memory is not ours to free. A server that cannot fit even with every one of ours
// stopped is refused at once (MEMORY_SHORT), without stopping anything. An Ollama client's keep_alive
// replaces a provider's idle_stop_seconds from its request on (0: stop once idle, never: keep it up), as
// Ollama applies keep_alive to the model after the request.
import { AcodeError } from '../config/index.js';
import type { ProviderStatus, Registry } from '../machines/index.js';
import type { MemoryDevice, MemoryNeed } from './memory-need.js';
import { formatBytes } from './memory-need.js';

const SWAP_POLL_MS = 100;
const UP: readonly string[] = ['healthy', 'starting', 'restarting'];

/** What residency asks the machine: a new server's need, and what is free on its device. */
export interface MemoryProbe {
  need(id: string, signal: AbortSignal): Promise<MemoryNeed | undefined>;
  /**
   * Free bytes on `device` for a new server, as the machine says it now; `running` are our servers up
   * (a GPU probe that does not list their processes has not counted what they hold: subtract it).
   */
  free(device: MemoryDevice, running: ReadonlyMap<number, number>, signal: AbortSignal): Promise<number | undefined>;
}

export class Residency {
  private readonly lastUsed = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  /** keep_alive as asked, per provider: idle seconds, or null for never. */
  private readonly keptAlive = new Map<string, number | null>();
  /** What each server of ours was estimated to need when it was let in. */
  private readonly held = new Map<string, MemoryNeed>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly registry: Registry,
    private readonly maxLoaded: number | undefined,
    private readonly memory: MemoryProbe | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.stopIdle(), 1_000);
    this.timer.unref();
  }

  private loaded(): ProviderStatus[] {
    return this.registry.status().filter((s) => s.owned === true && UP.includes(s.state));
  }

  private idle(id: string): boolean {
    return (this.inFlight.get(id) ?? 0) === 0;
  }

  /** Requests to `id` in flight now (this one included, once begun). */
  requestsTo(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }

  /** From now on `id` is stopped after `seconds` idle (null: never), whatever idle_stop_seconds says. */
  keepAlive(id: string, seconds: number | null): void {
    this.keptAlive.set(id, seconds);
  }

  /** Marks a request to `id` as started; the returned function marks it done. */
  begin(id: string): () => void {
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    this.lastUsed.set(id, this.now());
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight.set(id, Math.max(0, (this.inFlight.get(id) ?? 1) - 1));
      this.lastUsed.set(id, this.now());
    };
  }

  /** Only a server acode is about to start needs room: one that runs (ours or not) is not measured. */
  private willStart(id: string): boolean {
    if (this.registry.config.providers[id]?.lifecycle.mode !== 'managed') return false;
    const state = this.registry.status().find((s) => s.id === id)?.state;
    return state === undefined || !UP.includes(state);
  }

  private heldOn(device: MemoryDevice, s: ProviderStatus): number {
    const need = this.held.get(s.id);
    return need?.device === device ? need.bytes : 0;
  }

  /**
   * Before `id` is made ready: if it is not up, stops the least recently used idle servers of ours
   * until max_loaded leaves room and its memory need fits; waits while that takes a busy one (bounded
   * by the caller's signal). MEMORY_SHORT when it cannot fit even with all of ours stopped.
   */
  async makeRoom(id: string, signal: AbortSignal): Promise<void> {
    if (this.maxLoaded === undefined && this.memory === undefined) return;
    // Without max_loaded only a server about to start is measured: one that runs (or is not ours to
    // start) needs nothing, and every request to it passes here.
    if (this.maxLoaded === undefined && !this.willStart(id)) return;
    for (;;) {
      const loaded = this.loaded();
      if (loaded.some((s) => s.id === id)) return;
      const need = this.willStart(id) ? await this.memory?.need(id, signal) : undefined;
      const running = new Map(
        need ? loaded.flatMap((s) => (s.pid ? [[s.pid, this.heldOn(need.device, s)] as const] : [])) : [],
      );
      const free = need ? await this.memory?.free(need.device, running, signal) : undefined;
      const short = need && free !== undefined ? need.bytes - free : 0;
      const ours = need ? loaded.reduce((sum, s) => sum + this.heldOn(need.device, s), 0) : 0;
      if (need && free !== undefined && short > ours)
        throw memoryShort(id, this.registry.config.providers[id]?.model, need, free, ours);
      const tooMany = this.maxLoaded === undefined ? 0 : loaded.length - this.maxLoaded + 1;
      const victims = planVictims(
        loaded
          .filter((s) => this.idle(s.id))
          .sort((a, b) => (this.lastUsed.get(a.id) ?? 0) - (this.lastUsed.get(b.id) ?? 0)),
        tooMany,
        short,
        (s) => (need ? this.heldOn(need.device, s) : 0),
      );
      if (victims) {
        for (const victim of victims) {
          await this.registry.service(victim.id).stop({ signal });
          this.held.delete(victim.id);
        }
        if (need) this.held.set(id, need);
        return;
      }
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, SWAP_POLL_MS));
    }
  }

  /** Stops each server of ours whose idle_stop_seconds have passed without requests. */
  async stopIdle(): Promise<string[]> {
    const stopped: string[] = [];
    for (const s of this.loaded()) {
      const kept = this.keptAlive.get(s.id);
      const seconds = kept !== undefined ? kept : this.registry.config.providers[s.id]?.lifecycle.idleStopSeconds;
      if (seconds === undefined || seconds === null || !this.idle(s.id) || s.state !== 'healthy') continue;
      const last = this.lastUsed.get(s.id);
      if (last === undefined) {
        this.lastUsed.set(s.id, this.now());
        continue;
      }
      if (this.now() - last >= seconds * 1000) {
        this.lastUsed.delete(s.id);
        this.held.delete(s.id);
        await this.registry
          .service(s.id)
          .stop()
          .catch(() => undefined);
        stopped.push(s.id);
      }
    }
    return stopped;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * The idle servers to stop, least recently used first: at least `count` of them, and enough that what
 * they hold covers `bytes`; undefined when the idle ones are not enough (a busy one would have to go).
 */
function planVictims(
  idle: ProviderStatus[],
  count: number,
  bytes: number,
  holds: (s: ProviderStatus) => number,
): ProviderStatus[] | undefined {
  const picked: ProviderStatus[] = [];
  let freed = 0;
  for (const s of idle) {
    if (picked.length >= count && freed >= bytes) break;
    picked.push(s);
    freed += holds(s);
  }
  return picked.length >= count && freed >= bytes ? picked : undefined;
}

function memoryShort(id: string, model: string | undefined, need: MemoryNeed, free: number, ours: number): AcodeError {
  const where = need.device === 'gpu' ? 'GPU memory' : 'memory (RAM)';
  return new AcodeError(
    'MEMORY_SHORT',
    `${id}${model !== undefined ? ` (${model})` : ''} needs ${formatBytes(need.bytes)} of ${where} (${need.basis}) but ${formatBytes(free)} is free` +
      `${ours > 0 ? `, ${formatBytes(free + ours)} with every server acode started stopped` : ''}.`,
    need.device === 'gpu'
      ? `Stop what else holds the GPU (nvidia-smi lists it), use a smaller or more quantized model, or lower providers.${id}.gpu.memory_utilization.`
      : `Free memory (stop other programs), or use a smaller or more quantized model for providers.${id}.`,
    { details: { provider: id, model, device: need.device, needBytes: need.bytes, freeBytes: free, httpStatus: 503 } },
  );
}
