// Per-provider admission: at most `limit` requests in flight to one provider, the next `queue` waiting
// in arrival order, and past that a 429 with Retry-After, so a burst of clients cannot pile unbounded
// work onto one local server (llama-swap's concurrencyLimit; its default of 10 is ours too).
import { AcodeError } from '../config/index.js';

export interface AdmissionLimits {
  /** Requests in flight per provider. */
  limit: number;
  /** Requests waiting per provider before new ones are refused. */
  queue: number;
}

const DEFAULT_ADMISSION: AdmissionLimits = { limit: 10, queue: 100 };

interface Lane {
  active: number;
  waiting: Array<() => void>;
}

export class Admission {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly limits: AdmissionLimits = DEFAULT_ADMISSION) {}

  /** Waits for a slot on `provider`; resolves with its release. Throws QUEUE_FULL (429) or ABORTED. */
  async enter(provider: string, signal: AbortSignal): Promise<() => void> {
    const lane = this.lanes.get(provider) ?? { active: 0, waiting: [] };
    this.lanes.set(provider, lane);
    if (lane.active >= this.limits.limit) {
      if (lane.waiting.length >= this.limits.queue) {
        throw new AcodeError(
          'QUEUE_FULL',
          `${provider}: ${lane.active} requests in flight and ${lane.waiting.length} waiting; the gateway refuses more.`,
          'Retry after the Retry-After seconds, or raise serve.max_concurrent / serve.max_queue.',
          { details: { httpStatus: 429, retryAfterSeconds: 1, provider } },
        );
      }
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const at = lane.waiting.indexOf(turn);
          if (at >= 0) lane.waiting.splice(at, 1);
          reject(new AcodeError('ABORTED', 'The client went away while queued.', 'Nothing to do.'));
        };
        lane.waiting.push(turn);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      lane.active += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = lane.waiting.shift();
      // The slot passes straight to the next in line: `active` stays the same.
      if (next) next();
      else lane.active -= 1;
    };
  }

  inFlight(provider: string): number {
    return this.lanes.get(provider)?.active ?? 0;
  }

  queued(provider: string): number {
    return this.lanes.get(provider)?.waiting.length ?? 0;
  }
}
