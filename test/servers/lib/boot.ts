// Process start-up shared by the fakes: knob parsing, the exit-code-at-start and start-up-delay knobs,
// loopback enforcement and signal wiring (including the ignore-SIGTERM knob).

import { KnobError, parseKnobs, type Knobs } from './knobs.js';
import { loopbackHost } from './http-core.js';
import { delay } from './runtime.js';

export function bootKnobs(program: string): Knobs {
  // A supervisor may close our pipes; the real servers keep serving, so must we (no EPIPE crash).
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  try {
    return parseKnobs(process.env);
  } catch (err) {
    if (!(err instanceof KnobError)) throw err;
    process.stderr.write(`${program} (acode fake): ${err.message}\n`);
    process.exit(2);
  }
}

/** Applies ACODE_FAKE_EXIT_CODE and ACODE_FAKE_STARTUP_DELAY_MS before anything is bound. */
export async function preStart(knobs: Knobs, program: string): Promise<void> {
  if (knobs.exitCodeAtStart !== null) {
    process.stderr.write(
      `${program} (acode fake): exiting with code ${knobs.exitCodeAtStart} at start (ACODE_FAKE_EXIT_CODE)\n`,
    );
    process.exit(knobs.exitCodeAtStart);
  }
  if (knobs.startupDelayMs > 0) {
    process.stderr.write(
      `${program} (acode fake): start-up delay ${knobs.startupDelayMs} ms before binding (ACODE_FAKE_STARTUP_DELAY_MS)\n`,
    );
    await delay(knobs.startupDelayMs);
  }
}

/** The loopback address for `host`, or exit 2: these fakes must never listen beyond loopback. */
export function requireLoopback(host: string, program: string): string {
  const bind = loopbackHost(host);
  if (bind === null) {
    process.stderr.write(
      `${program} (acode fake): refusing to bind ${host}: test servers listen on 127.0.0.1 / ::1 only\n`,
    );
    process.exit(2);
  }
  return bind;
}

export interface SignalPolicy {
  onTerm(signal: NodeJS.Signals, count: number): void;
}

/** Routes SIGTERM/SIGINT to the server's policy; ACODE_FAKE_IGNORE_SIGTERM swallows SIGTERM (SIGKILL tests). */
export function wireSignals(knobs: Knobs, policy: SignalPolicy, log: (line: string) => void): void {
  let count = 0;
  const handle = (signal: NodeJS.Signals): void => {
    if (signal === 'SIGTERM' && knobs.ignoreSigterm) {
      log(`received SIGTERM, ignoring it (ACODE_FAKE_IGNORE_SIGTERM)`);
      return;
    }
    count += 1;
    policy.onTerm(signal, count);
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** Parses argv flags of the form `--name value`, `--name=value` and short aliases; positionals kept in order. */
export function parseArgs(
  argv: readonly string[],
  aliases: Record<string, string>,
  booleans: ReadonlySet<string>,
): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const raw = eq > 0 ? a.slice(0, eq) : a;
    const name = aliases[raw] ?? raw.replace(/^-+/, '');
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (booleans.has(name)) flags.set(name, 'true');
    else {
      flags.set(name, argv[i + 1] ?? '');
      i += 1;
    }
  }
  return { flags, positional };
}
