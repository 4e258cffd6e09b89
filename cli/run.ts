// Builds the `acode` program from the command files and runs it. Every error, ours or commander's,
// is printed by printError and mapped to its exit code here, in one place.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { AcodeError, loadConfig, locateConfig, type Env } from '../config/index.js';
import { askCommand } from './commands/ask.js';
import { configCommand } from './commands/config.js';
import { demoCommand } from './commands/demo.js';
import { inspectCommand } from './commands/inspect.js';
import { replayCommand } from './commands/replay.js';
import { providerCommand } from './commands/provider.js';
import { providersCommand } from './commands/providers.js';
import { modelsCommand } from './commands/models.js';
import { statusCommand } from './commands/status.js';
import { gpusCommand } from './commands/gpus.js';
import { serveCommand } from './commands/serve.js';
import type { CliDeps, CommandRegistrar } from './deps.js';
import { isOutputClosed, OUTPUT_CLOSED_EXIT, printError, type Output } from './output/index.js';
import type { InspectionSession } from '../inspector/index.js';
import { installProcessLogger, openLogger, type ProcessLogger } from '../log/index.js';

/** Every command of the CLI. A new command is one file in cli/commands/ and one entry here. */
const COMMANDS: readonly CommandRegistrar[] = [
  askCommand,
  configCommand,
  providerCommand,
  providersCommand,
  modelsCommand,
  statusCommand,
  gpusCommand,
  serveCommand,
  demoCommand,
  replayCommand,
  inspectCommand,
];

// dist/cli/run.js and cli/run.ts sit at different depths below package.json.
function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'acode-provider-orchestration' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export interface RunOptions {
  stdout?: Output;
  stderr?: Output;
  env?: Env;
  cwd?: string;
  signal?: AbortSignal;
  commands?: readonly CommandRegistrar[];
}

/** The program with its global options and all commands; output goes to deps.stdout/stderr. */
export function buildProgram(deps: CliDeps, commands: readonly CommandRegistrar[] = COMMANDS): Command {
  const program = new Command('acode')
    .description('Start, watch and use local LLM servers (Ollama, vLLM, llama-server, LM Studio).')
    .version(packageVersion(), '-V, --version', 'print the acode version')
    .option('--config <path>', 'use this config file instead of the nearest .agent/config.yml')
    .option('--record <file>', 'write every state-machine inspection event to FILE.jsonl (secrets removed)')
    .option(
      '--inspect [url]',
      'forward inspection events to a Stately inspector relay on loopback (default ws://127.0.0.1:8080)',
    )
    .option('--verbose', 'print the log (debug and up) on stderr too; it always goes to <state dir>/logs/acode.log')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
      // Commander's own error line is replaced by printError's `error[USAGE]` form.
      outputError: () => undefined,
    });
  // Subcommands created with program.command() inherit the output and exit settings above.
  for (const register of commands) register(program, deps);
  return program;
}

function usageError(error: CommanderError): AcodeError {
  const message = error.message.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ');
  return new AcodeError(
    'USAGE',
    message,
    'Run `acode --help` (or `acode <command> --help`) to see the commands and options.',
    {
      details: { commander: error.code },
    },
  );
}

/** Runs the CLI with `argv` (process.argv form) and returns the exit code. */
export async function runCli(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const stderr = options.stderr ?? process.stderr;
  const signal = options.signal ?? new AbortController().signal;
  let program: Command | undefined;
  let log: ProcessLogger | undefined;
  const configPath = (): string | undefined => program?.opts<{ config?: string }>().config;
  const deps: CliDeps = {
    stdout: options.stdout ?? process.stdout,
    stderr,
    env,
    cwd,
    signal,
    config: {
      locate: () => locateConfig({ cwd, configPath: configPath() }, { signal }),
      load: () => loadConfig({ cwd, env, configPath: configPath() }, { signal }),
    },
  };
  program = buildProgram(deps, options.commands);
  let inspection: InspectionSession | undefined;
  let restoreLogger: (() => void) | undefined;
  // --record / --inspect are global: opened once a command runs, closed whatever happens to it. The
  // inspector (and @statelyai/inspect) loads only when one is given; without them no actor is inspected.
  program.hook('preAction', async () => {
    const opts = program?.opts<{ record?: string; inspect?: string | boolean; verbose?: boolean }>() ?? {};
    // Opened here (not before parsing) so --verbose is known; nothing is written or imported until a line is.
    log = openLogger({ env, stderr, verbose: opts.verbose === true });
    deps.log = log;
    restoreLogger = installProcessLogger(log);
    if (opts.record === undefined && opts.inspect === undefined) return;
    const { createInspectionBus, openInspection } = await import('../inspector/index.js');
    const bus = createInspectionBus();
    deps.inspect = bus.inspect;
    inspection = await openInspection(opts, bus, { env, cwd, signal, warn: (line) => stderr.write(`${line}\n`) });
  });
  // Once the reader of our output is gone, whatever happened next has no one to be told to.
  const outputClosed = () => signal.aborted && isOutputClosed(signal.reason);
  try {
    await program.parseAsync([...argv]);
    return outputClosed() ? OUTPUT_CLOSED_EXIT : 0;
  } catch (error) {
    if (outputClosed()) return OUTPUT_CLOSED_EXIT;
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // `acode help` exits 0; help shown because a subcommand is missing (already on stderr) is a usage error.
      if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
      return printError(usageError(error), { stderr, env });
    }
    return printError(error, { stderr, env });
  } finally {
    inspection?.close();
    await log?.flush();
    restoreLogger?.();
  }
}
