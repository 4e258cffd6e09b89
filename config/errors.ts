// The one catalogue of error codes. The code is the contract (branch on it, never on the message);
// the message says what happened and names the thing; the hint says what the user should do.

export const ERROR_CODES = {
  // Configuration and usage: exit 2.
  CONFIG_NOT_FOUND: 2,
  CONFIG_INVALID: 2,
  CONFIG_SECRET: 2,
  CONFIG_WRITE_FAILED: 2,
  USAGE: 2,
  PROVIDER_UNKNOWN: 2,
  // The server process and its lifecycle: exit 3.
  PORT_IN_USE: 3,
  BINARY_NOT_FOUND: 3,
  START_FAILED: 3,
  START_TIMEOUT: 3,
  CRASH_LOOP: 3,
  PROVIDER_UNAVAILABLE: 3,
  LOCK_TIMEOUT: 3,
  QUEUE_FULL: 3, // acode serve: a provider's concurrency limit and queue are full (HTTP 429)
  GPU_UNAVAILABLE: 3, // vLLM: no GPU visible, fewer than tensor_parallel_size, or nvidia-smi failing
  GPU_MEMORY: 3, // vLLM: a GPU it would use has less free memory than memory_utilization x total
  MEMORY_SHORT: 3, // acode serve: a server would not fit in GPU memory or RAM even with every server it started stopped
  // The model: exit 4.
  MODEL_NOT_FOUND: 4,
  MODEL_LOAD_TIMEOUT: 4,
  PULL_FAILED: 4,
  // Policy (operating modes): exit 5.
  AIRGAP_VIOLATION: 5,
  MODE_FORBIDDEN: 5,
  // A request on the wire: exit 6.
  CONNECTION_REFUSED: 6,
  HOST_UNRESOLVED: 6,
  CONNECT_TIMEOUT: 6,
  RESPONSE_TIMEOUT: 6,
  STREAM_INTERRUPTED: 6,
  BAD_REQUEST: 6,
  SERVER_ERROR: 6,
  PROTOCOL_ERROR: 6,
  STRUCTURED_OUTPUT_INVALID: 6,
  AUTH_FAILED: 6, // 401/403: the server wants an API key we did not send, or refused the one we sent
  // The user (or a signal) cancelled: exit 130, like a shell does for SIGINT.
  ABORTED: 130,
  // A bug in acode: exit 1.
  INTERNAL: 1,
  REPLAY_MISMATCH: 1, // `acode replay`: the machines no longer produce the recorded state path
} as const;

export type AcodeErrorCode = keyof typeof ERROR_CODES;

const BRAND = Symbol.for('acode.error');

export interface AcodeErrorOptions extends ErrorOptions {
  /** Structured facts for `--json` output and tests (port, provider, file, line ...). Never secrets. */
  details?: Record<string, unknown>;
}

export class AcodeError extends Error {
  readonly code: AcodeErrorCode;
  readonly hint: string;
  readonly details: Record<string, unknown>;
  readonly [BRAND] = true;

  constructor(code: AcodeErrorCode, message: string, hint: string, options: AcodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
    this.details = options.details ?? {};
  }

  get exitCode(): number {
    return ERROR_CODES[this.code];
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, ...this.details };
  }
}

// A brand instead of instanceof, so the check survives two copies of this module (execa's lesson).
export function isAcodeError(value: unknown): value is AcodeError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export function exitCodeFor(error: unknown): number {
  return isAcodeError(error) ? error.exitCode : ERROR_CODES.INTERNAL;
}

/** One place that turns anything thrown into an AcodeError, keeping the original as `cause`. */
export function toAcodeError(error: unknown): AcodeError {
  if (isAcodeError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new AcodeError('ABORTED', 'The operation was cancelled.', 'Run the command again when you are ready.', {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AcodeError(
    'INTERNAL',
    `Unexpected error: ${message}`,
    'This is a bug in acode. Run again with ACODE_DEBUG=1 and report the stack trace.',
    { cause: error },
  );
}

/** Walks `cause` chains for a Node/undici error code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT ...). */
export function findCauseCode(error: unknown, codes: readonly string[]): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && codes.includes(code)) return code;
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) {
      for (const inner of nested) {
        const found = findCauseCode(inner, codes);
        if (found) return found;
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
