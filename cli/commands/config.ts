// `acode config validate` and `acode config show`: read-only views of .agent/config.yml.
import { stringify } from 'yaml';
import {
  isAcodeError,
  redact,
  REDACTED,
  secretEnvNames,
  type AcodeConfig,
  type Env,
  type ProviderConfig,
} from '../../config/index.js';
import type { CliDeps, CommandRegistrar } from '../deps.js';
import { printJson } from '../output/index.js';

interface JsonOption {
  json?: boolean;
}

/** Secret env vars that are set, each shown as *** (so the user sees they are set, never their value). */
function secretsShown(env: Env): Record<string, string> {
  return Object.fromEntries(secretEnvNames(env).map((name) => [name, REDACTED]));
}

// Back to the file's snake_case vocabulary, so `config show` reads like the file the user edits.
function providerAsYaml(p: ProviderConfig): Record<string, unknown> {
  return {
    kind: p.kind,
    type: p.type,
    ...(p.model === undefined ? {} : { model: p.model }),
    host: p.host,
    port: p.port,
    base_url: p.baseUrl,
    ...(p.binary === undefined ? {} : { binary: p.binary }),
    ...(p.args.length === 0 ? {} : { args: p.args }),
    lifecycle: {
      mode: p.lifecycle.mode,
      start_timeout_seconds: p.lifecycle.startTimeoutSeconds,
      health_check_interval_seconds: p.lifecycle.healthCheckIntervalSeconds,
      model_load_timeout_seconds: p.lifecycle.modelLoadTimeoutSeconds,
      stop_on_exit: p.lifecycle.stopOnExit,
      max_restarts: p.lifecycle.maxRestarts,
      restart_window_seconds: p.lifecycle.restartWindowSeconds,
    },
    timeouts: {
      connect_seconds: p.timeouts.connectSeconds,
      response_seconds: p.timeouts.responseSeconds,
      idle_seconds: p.timeouts.idleSeconds,
    },
    ...(p.gpu.memoryUtilization === undefined && p.gpu.tensorParallelSize === undefined && p.gpu.required === undefined
      ? {}
      : {
          gpu: {
            ...(p.gpu.memoryUtilization === undefined ? {} : { memory_utilization: p.gpu.memoryUtilization }),
            ...(p.gpu.tensorParallelSize === undefined ? {} : { tensor_parallel_size: p.gpu.tensorParallelSize }),
            ...(p.gpu.required === undefined ? {} : { required: p.gpu.required }),
          },
        }),
    ...(p.apiKeyEnv === undefined ? {} : { api_key_env: p.apiKeyEnv }),
  };
}

function showText(config: AcodeConfig, env: Env): string {
  const header = [
    '# effective configuration (file + defaults + environment)',
    `# file: ${config.file ?? 'none found, defaults apply'}`,
    ...(config.overrides ?? []).map((o) => `# env: ${o.name}=${o.value} overrides ${o.paths.join(', ')}`),
  ];
  const body: Record<string, unknown> = {
    mode: config.mode,
    fallback: config.fallback,
    providers: {
      active: config.active,
      ...Object.fromEntries(Object.values(config.providers).map((p) => [p.id, providerAsYaml(p)])),
    },
  };
  const secrets = secretsShown(env);
  const secretText =
    Object.keys(secrets).length === 0 ? '' : `# secrets read from the environment:\n${stringify({ secrets })}`;
  return `${header.join('\n')}\n${stringify(body)}${secretText}`;
}

// A valid file can still hold a setup `ask` refuses (vLLM without a model): warned about, not failed,
// with the message and hint `ask` would print.
async function warningsOf(
  config: AcodeConfig,
): Promise<{ provider: string; code: string; message: string; hint: string }[]> {
  const { askRefusals } = await import('../../machines/index.js');
  return (await askRefusals(config)).map(({ provider, error }) => ({
    provider,
    code: error.code,
    message: error.message,
    hint: error.hint,
  }));
}

function warningText(warnings: Awaited<ReturnType<typeof warningsOf>>): string {
  if (warnings.length === 0) return '';
  const count = warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`;
  const lines = warnings.flatMap((w) => [`  warning[${w.code}]: ${w.message}`, `  hint: ${w.hint}`]);
  return `${count}: \`acode ask\` would refuse this (exit code 0: warnings do not fail validation):\n${lines.join('\n')}\n`;
}

async function validate(deps: CliDeps, opts: JsonOption): Promise<void> {
  const location = await deps.config.locate();
  let config: AcodeConfig;
  try {
    config = await deps.config.load();
  } catch (error) {
    // In JSON mode stdout still gets a document; the error itself is printed (and exits) as usual.
    if (opts.json && isAcodeError(error)) {
      printJson(
        deps.stdout,
        {
          file: location.file,
          exists: location.exists,
          valid: false,
          code: error.code,
          errors: error.details.errors ?? [],
        },
        deps.env,
      );
    }
    throw error;
  }
  const warnings = await warningsOf(config);
  if (opts.json) {
    printJson(
      deps.stdout,
      { file: location.file, exists: location.exists, valid: true, errors: [], warnings },
      deps.env,
    );
    return;
  }
  if (location.exists) {
    deps.stdout.write(`${location.file}: valid\n`);
  } else {
    deps.stdout.write(
      `no config file (looked for .agent/config.yml in ${deps.cwd} and its parents): defaults apply, valid\n`,
    );
  }
  deps.stdout.write(redact(warningText(warnings), deps.env));
}

async function show(deps: CliDeps, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  if (opts.json) {
    printJson(
      deps.stdout,
      { ...config, file: config.file ?? null, overrides: config.overrides ?? [], secrets: secretsShown(deps.env) },
      deps.env,
    );
    return;
  }
  deps.stdout.write(redact(showText(config, deps.env), deps.env));
}

export const configCommand: CommandRegistrar = (program, deps) => {
  const config = program.command('config').description('check and show the configuration (.agent/config.yml)');
  config
    .command('validate')
    .description(
      'check the config file; print every problem with file:line:column, and warn about what `ask` would refuse',
    )
    .option('--json', 'print machine-readable output')
    .action((opts: JsonOption) => validate(deps, opts));
  config
    .command('show')
    .description('print the effective config: file, defaults and environment overrides (secrets as ***)')
    .option('--json', 'print machine-readable output')
    .action((opts: JsonOption) => show(deps, opts));
};
