// Process-wide state of one fake server: the knobs, the token/request counters that drive the crash and
// stall knobs, in-flight bookkeeping for graceful shutdown, and the ways the process may end.

import type { Knobs } from './knobs.js';

const never = new Promise<never>(() => undefined);

export function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

export class Runtime {
  tokensEmitted = 0;
  workRequests = 0;
  inflight = 0;
  /** Set when a signal froze generation (llama-server's SIGTERM with a request in flight). */
  frozen = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly knobs: Knobs,
    readonly log: (line: string) => void,
  ) {}

  /** Ends the process the way the crash knob says: a plain exit code or a SIGKILL of itself. */
  crash(why: string): Promise<never> {
    this.log(`ACODE_FAKE crash: ${why}`);
    if (this.knobs.crashMode === 'sigkill') process.kill(process.pid, 'SIGKILL');
    else process.exit(this.knobs.crashExitCode);
    return never;
  }

  /** Called before each token is emitted: applies the per-token delay and the crash / stall knobs. */
  async beforeToken(): Promise<void> {
    if (this.frozen) return never;
    const { crashAfterTokens, stallAfterTokens, tokenDelayMs } = this.knobs;
    if (crashAfterTokens !== null && this.tokensEmitted >= crashAfterTokens) {
      await this.crash(`after ${this.tokensEmitted} tokens`);
    }
    if (stallAfterTokens !== null && this.tokensEmitted >= stallAfterTokens) return never;
    if (tokenDelayMs > 0) await delay(tokenDelayMs);
    if (this.frozen) return never;
    this.tokensEmitted += 1;
  }

  /** Counts a work request; past ACODE_FAKE_CRASH_AFTER_REQUESTS the process dies before answering. */
  async onWorkRequest(): Promise<void> {
    this.workRequests += 1;
    const limit = this.knobs.crashAfterRequests;
    if (limit !== null && this.workRequests > limit) await this.crash(`on work request ${this.workRequests}`);
  }

  begin(): void {
    this.inflight += 1;
  }

  end(): void {
    this.inflight -= 1;
    if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  whenIdle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  hangForever(): Promise<never> {
    return never;
  }
}
