// How each server is launched, from its ProviderConfig. Always bound to loopback; the binary is
// resolved on PATH up front so a missing one is a clear BINARY_NOT_FOUND, not a spawn ENOENT.
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { isLoopbackHost } from '../adapters/index.js';
import { AcodeError, isAcodeError } from '../config/index.js';
import { SERVER_API_KEY_ENV, type OperatingMode, type ProviderConfig, type ProviderKind } from '../config/index.js';
import { checkVllmModel } from './vllm-model.js';

export interface Launch {
  /** The name or path from config (or the default name), for messages. */
  binary: string;
  /** Absolute path of the executable that will be spawned. */
  binaryPath: string;
  args: string[];
  /** The full child environment: inherits the parent's (HF_TOKEN must reach vLLM). Never log it. */
  env: NodeJS.ProcessEnv;
}

const DEFAULT_BINARIES: Partial<Record<ProviderKind, string>> = {
  ollama: 'ollama',
  vllm: 'vllm',
  llamacpp: 'llama-server',
};

/** The address a host setting binds: unset and `localhost` are 127.0.0.1, `[::1]` is ::1. */
export function canonicalHost(host: string): string {
  if (!host || host === 'localhost') return '127.0.0.1';
  return host.replace(/^\[|\]$/g, '');
}

/** Only loopback: a managed server is never exposed on the network by acode. */
export function loopbackHost(provider: ProviderConfig, mode: OperatingMode): string {
  const host = provider.host || '127.0.0.1';
  if (isLoopbackHost(host)) return canonicalHost(host);
  const message = `${provider.id}: refusing to start a server bound to ${host}; acode binds managed servers to loopback only.`;
  const hint = `Set providers.${provider.id}.host to 127.0.0.1 (or ::1), or run the server yourself and set providers.${provider.id}.lifecycle.mode to monitored.`;
  throw new AcodeError(mode === 'airgapped' ? 'AIRGAP_VIOLATION' : 'MODE_FORBIDDEN', message, hint, {
    details: { provider: provider.id, host },
  });
}

function shortenPath(pathValue: string): string {
  const home = homedir();
  const dirs = pathValue
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => (home && dir.startsWith(home) ? `~${dir.slice(home.length)}` : dir));
  const shown = dirs.slice(0, 6).join(delimiter);
  return dirs.length > 6 ? `${shown}${delimiter}… (${dirs.length - 6} more)` : shown;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A path (contains '/') is taken as is; a name is looked up on PATH like a shell would. */
async function resolveBinary(
  provider: ProviderConfig,
  env: NodeJS.ProcessEnv,
): Promise<{ binary: string; binaryPath: string }> {
  const binary = provider.binary ?? DEFAULT_BINARIES[provider.kind];
  if (!binary) {
    throw new AcodeError(
      'MODE_FORBIDDEN',
      `${provider.id}: acode cannot start a ${provider.kind} server itself.`,
      `Start it yourself and set providers.${provider.id}.lifecycle.mode to monitored or external.`,
      { details: { provider: provider.id, kind: provider.kind } },
    );
  }
  const pathValue = env.PATH ?? '';
  if (binary.includes('/')) {
    const binaryPath = isAbsolute(binary) ? binary : resolve(binary);
    if (await isExecutableFile(binaryPath)) return { binary, binaryPath };
  } else {
    for (const dir of pathValue.split(delimiter).filter(Boolean)) {
      const candidate = join(dir, binary);
      if (await isExecutableFile(candidate)) return { binary, binaryPath: candidate };
    }
  }
  throw new AcodeError(
    'BINARY_NOT_FOUND',
    binary.includes('/')
      ? `${provider.id}: ${binary} does not exist or is not executable.`
      : `${provider.id}: \`${binary}\` was not found on PATH (${shortenPath(pathValue)}).`,
    `Install ${binary}, or set providers.${provider.id}.binary to the full path of the executable.`,
    { details: { provider: provider.id, binary } },
  );
}

function requireModel(provider: ProviderConfig): string {
  if (provider.model) return provider.model;
  throw new AcodeError(
    'CONFIG_INVALID',
    `${provider.id}: no model is configured, and ${provider.kind} needs one to start.`,
    `Set providers.${provider.id}.model in .agent/config.yml.`,
    { details: { provider: provider.id, key: `providers.${provider.id}.model` } },
  );
}

/** argv for the server kind; the caller's config.args come last so they can override. */
function serverArgs(provider: ProviderConfig, host: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const port = String(provider.port);
  switch (provider.kind) {
    case 'vllm':
      return {
        args: [
          'serve',
          requireModel(provider),
          '--host',
          host,
          '--port',
          port,
          '--gpu-memory-utilization',
          String(provider.gpu.memoryUtilization ?? 0.9),
          '--tensor-parallel-size',
          String(provider.gpu.tensorParallelSize ?? 1),
          ...provider.args,
        ],
        env: {},
      };
    case 'ollama':
      return {
        args: ['serve', ...provider.args],
        env: { OLLAMA_HOST: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` },
      };
    case 'llamacpp':
      return { args: ['-m', requireModel(provider), '--host', host, '--port', port, ...provider.args], env: {} };
    default:
      throw new AcodeError(
        'MODE_FORBIDDEN',
        `${provider.id}: acode cannot start a ${provider.kind} server itself.`,
        `Start it yourself and set providers.${provider.id}.lifecycle.mode to monitored or external.`,
        { details: { provider: provider.id, kind: provider.kind } },
      );
  }
}

const DOWNLOAD_ARGS = new Set(['-hf', '--hf-repo', '-hfr', '-mu', '--model-url', '-hff', '--hf-file']);

/**
 * Airgapped: the server may run, but must not download: vLLM/HF get offline switches, and
 * llama-server's download flags are refused (defence in depth; the machine's policy decides first).
 */
function airgapGuard(provider: ProviderConfig, args: string[]): NodeJS.ProcessEnv {
  const download = args.find((arg) => DOWNLOAD_ARGS.has(arg));
  if (download) {
    throw new AcodeError(
      'AIRGAP_VIOLATION',
      `${provider.id}: ${download} would download a model, which airgapped mode forbids.`,
      `Pre-stage the model file and point providers.${provider.id}.model at it, then remove ${download} from providers.${provider.id}.args.`,
      { details: { provider: provider.id, arg: download } },
    );
  }
  return { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' };
}

/**
 * The server we start must want exactly the key acode sends: the value of api_key_env goes into the
 * variable the server reads (VLLM_API_KEY, LLAMA_API_KEY), never onto the command line, which lands in
 * /proc, the pid file and the log. Without a key of ours, an inherited one is dropped, or every request
 * to our own server would fail AUTH_FAILED.
 */
function withServerKey(provider: ProviderConfig, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = SERVER_API_KEY_ENV[provider.kind];
  if (own === undefined || provider.apiKeyEnv === undefined) return env;
  const { [own]: _inherited, ...rest } = env;
  const key = env[provider.apiKeyEnv];
  return key ? { ...rest, [own]: key } : rest;
}

/**
 * llama-server's -m is a file: a path that is not there is MODEL_NOT_FOUND now, before a spawn that
 * would only exit 1 with "failed to open GGUF file". With a download flag (-hf, -mu) -m names where
 * the download goes, so it need not exist yet.
 */
async function requireModelFile(provider: ProviderConfig): Promise<void> {
  if (provider.kind !== 'llamacpp' || !provider.model || provider.args.some((arg) => DOWNLOAD_ARGS.has(arg))) return;
  const path = resolve(provider.model);
  if (
    await stat(path).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    return;
  throw new AcodeError(
    'MODEL_NOT_FOUND',
    `${provider.id}: the model file ${path} does not exist.`,
    `Set providers.${provider.id}.model to the path of a .gguf file (a relative path is resolved from ${process.cwd()}).`,
    { details: { provider: provider.id, model: provider.model, path } },
  );
}

/**
 * What starting this server would refuse that the config alone decides (host, argv, model file), without
 * looking for the binary: `acode config validate` reports it as a warning, a start as the error.
 */
export async function launchRefusal(provider: ProviderConfig, mode: OperatingMode): Promise<AcodeError | undefined> {
  try {
    serverArgs(provider, loopbackHost(provider, mode));
    await requireModelFile(provider);
    return undefined;
  } catch (error) {
    if (isAcodeError(error)) return error;
    throw error;
  }
}

/** Everything needed to spawn the server: resolved binary, argv, env. */
export async function buildLaunch(
  provider: ProviderConfig,
  mode: OperatingMode,
  baseEnv: NodeJS.ProcessEnv = process.env,
): Promise<Launch> {
  const host = loopbackHost(provider, mode);
  const { args, env: kindEnv } = serverArgs(provider, host);
  const airgapEnv = mode === 'airgapped' ? airgapGuard(provider, args) : {};
  const { binary, binaryPath } = await resolveBinary(provider, baseEnv);
  await requireModelFile(provider);
  const modelEnv = await checkVllmModel(provider, mode, baseEnv);
  return {
    binary,
    binaryPath,
    args,
    env: withServerKey(provider, { ...baseEnv, ...kindEnv, ...airgapEnv, ...modelEnv }),
  };
}
