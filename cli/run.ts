import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { exitCodeFor, toAcodeError } from '../config/index.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Builds the command tree. Each command lives in cli/commands/<noun>.ts. */
export function buildProgram(): Command {
  const program = new Command('acode')
    .description('Start, watch and use local LLM servers (Ollama, vLLM, llama-server, LM Studio).')
    .version(version)
    .option('--config <path>', 'use this config file instead of the nearest .agent/config.yml')
    .exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code; prints errors as `error[CODE]` + `hint:` on stderr. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const err = toAcodeError(error);
    process.stderr.write(`error[${err.code}]: ${err.message}\nhint: ${err.hint}\n`);
    if (process.env.ACODE_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return exitCodeFor(err);
  }
}
