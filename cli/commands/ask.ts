// `acode ask [--provider id] [--model m] [--system text] [--max-tokens n] [--temperature t] [--no-stream]
// [--json] [--schema file.json] "prompt"`: one question to a provider that acode makes ready first. Answer
// text on stdout as it streams (at once with --no-stream), lifecycle progress and notices on stderr, and
// with --json one object on stdout at the end.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AcodeError, type Env } from '../../config/index.js';
import type { Answer, FallbackReason, ProviderStatus, RetryInfo } from '../../machines/index.js';
import type { ChatRequest } from '../../adapters/index.js';
import type { CliDeps, CommandRegistrar } from '../deps.js';
import { printJson, type Output } from '../output/index.js';
import { askMessages, askSampling, type RequestFlags } from './ask-request.js';

interface AskOptions extends RequestFlags {
  provider?: string;
  model?: string;
  json?: boolean;
  schema?: string;
  /** commander's negated flag: false with --no-stream. */
  stream?: boolean;
}

// Commands do not read process.* (so they run in-process in tests); stdin is the one exception a
// prompt needs, and it is only read when no prompt argument was given.
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function readSchema(file: string, cwd: string): Promise<Record<string, unknown>> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AcodeError(
      'USAGE',
      `Cannot read the schema file ${path}.`,
      'Pass --schema with the path of a JSON Schema file.',
      { cause },
    );
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new AcodeError(
      'USAGE',
      `${path} is not a JSON Schema object.`,
      'The --schema file must hold one JSON object (a JSON Schema).',
      { cause },
    );
  }
}

// Lifecycle progress on stderr, one line per change; a pull reports every 10 %.
function progressPrinter(
  stderr: Output,
  progressLine: (s: ProviderStatus) => string | undefined,
): (status: ProviderStatus) => void {
  let last = '';
  return (status) => {
    let line = progressLine(status);
    if (line === undefined) return;
    if (status.modelState === 'pulling')
      line = line.replace(/(\d+)%$/, (_, p: string) => `${Math.floor(Number(p) / 10) * 10}%`);
    if (line === last) return;
    last = line;
    stderr.write(`${line}\n`);
  };
}

function jsonResult(a: Answer): Record<string, unknown> {
  return {
    text: a.text,
    provider: a.provider,
    model: a.model,
    finishReason: a.finishReason,
    usage: a.usage ?? null,
    timings: a.timings,
    retries: a.retries.length,
    ...(a.json !== undefined ? { json: a.json } : {}),
    ...(a.fallbacks.length > 0
      ? { fallback: a.fallbacks.map((f) => ({ provider: f.id, code: f.code, reason: f.message })) }
      : {}),
  };
}

/**
 * What `ask` prints while the answer comes and once it is complete: text on stdout as it streams (or one
 * JSON object at the end), and on stderr one line per retry, fallback and restart. A restart means the
 * text shown so far is void: the notice comes first, then the new answer on a fresh line.
 */
export function answerPrinter(out: { stdout: Output; stderr: Output; env: Env }, json: boolean) {
  const { stdout, stderr } = out;
  let printed = '';
  return {
    onText(text: string): void {
      printed += text;
      if (!json) stdout.write(text);
    },
    onRestarted(chunk: { reason: string; attempt: number }, provider: string): void {
      if (!json && printed !== '' && !printed.endsWith('\n')) stdout.write('\n');
      printed = '';
      stderr.write(`note: ${provider} restarted mid-answer (${chunk.reason}); the answer starts over below\n`);
    },
    onRetry(r: RetryInfo): void {
      stderr.write(
        `note: ${r.provider}: ${r.code}; ${r.path === 'resume' ? 'resuming the answer' : 'retrying'} (retry ${r.attempt})\n`,
      );
    },
    onFallback(f: FallbackReason, next: string): void {
      stderr.write(`note: ${f.id} could not answer: ${f.message} (${f.code}); trying ${next}\n`);
    },
    done(result: Answer): void {
      if (json) return printJson(stdout, jsonResult(result), out.env);
      if (!result.text.endsWith('\n')) stdout.write('\n');
      if (result.fallbacks.length > 0) stderr.write(`answered by ${result.provider}\n`);
    },
  };
}

async function ask(deps: CliDeps, words: string[], opts: AskOptions): Promise<void> {
  const prompt = (words.length > 0 ? words.join(' ') : await readStdin()).trim();
  if (prompt === '') {
    throw new AcodeError(
      'USAGE',
      'No prompt given.',
      'Pass the prompt as an argument (`acode ask "..."`) or on stdin.',
    );
  }
  const config = await deps.config.load();
  const schema = opts.schema ? await readSchema(opts.schema, deps.cwd) : undefined;
  // The flags are checked (USAGE) before anything is detected or started.
  const req: ChatRequest = {
    messages: askMessages(prompt, opts),
    ...(opts.model ? { model: opts.model } : {}),
    ...(schema ? { schema } : {}),
    ...askSampling(opts),
  };
  // Loaded here, not at start-up: the engine (actors, adapters, undici, execa) is only for commands that use it.
  const { answer, openRegistry, progressLine } = await import('../../machines/index.js');
  const registry = openRegistry({ config, env: deps.env, ...(deps.inspect ? { inspect: deps.inspect } : {}) });
  registry.onStatus(progressPrinter(deps.stderr, progressLine));
  const printer = answerPrinter(deps, opts.json === true);
  try {
    const result = await answer(registry, req, {
      ...(opts.provider !== undefined ? { preferred: opts.provider } : {}),
      ...(schema ? { requirements: { structuredOutput: true } } : {}),
      // A schema answer is validated (and corrected) as a whole, so it is not streamed.
      stream: schema === undefined && opts.stream !== false,
      signal: deps.signal,
      onText: printer.onText,
      onRestarted: printer.onRestarted,
      onRetry: printer.onRetry,
      onFallback: printer.onFallback,
    });
    printer.done(result);
  } finally {
    await registry.dispose();
  }
}

export const askCommand: CommandRegistrar = (program, deps) => {
  program
    .command('ask')
    .description('ask a provider once: detect or start it, stream the answer to stdout (progress on stderr)')
    .argument('[prompt...]', 'the prompt; read from stdin when omitted')
    .option('--provider <id>', 'ask this provider (default: providers.active), then the fallback order')
    .option(
      '--model <model>',
      'model for the selected provider (a fallback uses its own); <id>/<model> (ollama/llama3.2) names the provider',
    )
    .option('--system <text>', 'a system message sent before the prompt')
    .option('--max-tokens <n>', 'the most tokens the answer may have (a positive integer)')
    .option('--temperature <t>', 'sampling temperature, 0 to 2 (0: the most deterministic)')
    .option('--no-stream', 'ask for the whole answer in one request and print it when complete')
    .option('--json', 'print one JSON object: text, provider, model, usage, timings, retries, fallback')
    .option('--schema <file>', 'a JSON Schema file; the answer is validated against it')
    .action((words: string[], opts: AskOptions) => ask(deps, words, opts));
};
