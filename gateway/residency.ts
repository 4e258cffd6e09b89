// Which servers the gateway keeps up: a server acode started is stopped after its idle_stop_seconds
// without requests, and before another is started when serve.max_loaded would be passed (the least
// recently used idle one first; never one with requests in flight, as llama-swap's swapper waits).
// Servers acode did not start are never stopped, and do not count: their memory is not ours to free.
// An Ollama client's keep_alive replaces a provider's idle_stop_seconds from its request on (0: stop
// once idle, never: keep it up), as Ollama applies keep_alive to the model after the request.
import type { ProviderStatus, Registry } from '../machines/index.js';

const SWAP_POLL_MS = 100;

export class Residency {
  private readonly lastUsed = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  /** keep_alive as asked, per provider: idle seconds, or null for never. */
  private readonly keptAlive = new Map<string, number | null>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly registry: Registry,
    private readonly maxLoaded: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.stopIdle(), 1_000);
    this.timer.unref();
  }

  private loaded(): ProviderStatus[] {
    return this.registry
      .status()
      .filter((s) => s.owned === true && ['healthy', 'starting', 'restarting'].includes(s.state));
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

  /**
   * Before `id` is made ready: if it is not up and max_loaded servers of ours are, stops the least
   * recently used idle one; waits while every one of them is busy (bounded by the caller's signal).
   */
  async makeRoom(id: string, signal: AbortSignal): Promise<void> {
    if (this.maxLoaded === undefined) return;
    for (;;) {
      const loaded = this.loaded();
      if (loaded.some((s) => s.id === id) || loaded.length < this.maxLoaded) return;
      const victim = loaded
        .filter((s) => this.idle(s.id))
        .sort((a, b) => (this.lastUsed.get(a.id) ?? 0) - (this.lastUsed.get(b.id) ?? 0))[0];
      if (victim) {
        await this.registry.service(victim.id).stop({ signal });
        continue;
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
