// What every command receives. Commands never touch process.* directly, so they run in-process in tests.
import type { AcodeConfig, ConfigLocation, Env } from '../config/index.js';
import type { Output } from './output/index.js';
import type { Command } from 'commander';
import type { InspectionEvent } from 'xstate';
import type { Logger } from '../log/index.js';

/** The config as the global `--config` option selects it (read lazily, at action time). */
export interface ConfigAccess {
  /** Where the config file is, or where a write would create it. */
  locate(): Promise<ConfigLocation>;
  /** The effective config: file + defaults + env overrides. Throws CONFIG_* errors. */
  load(): Promise<AcodeConfig>;
}

export interface CliDeps {
  config: ConfigAccess;
  stdout: Output;
  stderr: Output;
  env: Env;
  cwd: string;
  signal: AbortSignal;
  /** Feeds the inspection bus (--record, --inspect); pass it to openRegistry({ inspect }). */
  inspect?: (event: InspectionEvent) => void;
  /** The process log (<state dir>/logs/acode.log), opened once a command runs; actors get it through processLogger(). */
  log?: Logger;
}

/** A command file exports one of these; it adds its command (and subcommands) to the program. */
export type CommandRegistrar = (program: Command, deps: CliDeps) => void;
