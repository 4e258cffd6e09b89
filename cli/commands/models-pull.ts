// `acode models pull <model> [--provider id] [--json]`: the automatic pull, asked for by name. The
// service machine does it exactly as for `acode ask`: it makes the provider healthy in its lifecycle
// mode, checks the model, and pulls it through the same actor when it is missing (never in airgapped
// mode, which refuses with the pre-stage hint), with the same progress lines on stderr. Only Ollama has a
// pull API; for vLLM acode downloads the Hugging Face model into the hub cache itself (models-pull-hub.ts);
// the other kinds get an error that says how their models are fetched.
import { AcodeError, type ProviderConfig, type ProviderKind } from '../../config/index.js';
import { openRegistry } from '../../machines/index.js';
import type { CliDeps } from '../deps.js';
import { printJson } from '../output/index.js';
import { progressPrinter } from './provider-lifecycle.js';
import { inspectOf, providerById } from './provider-reports.js';

export interface PullOptions {
  provider?: string;
  json?: boolean;
  /** vLLM (Hugging Face): a branch, tag or commit. */
  revision?: string;
  /** vLLM (Hugging Face): auto, safetensors or bin. */
  weights?: string;
}

const WITHOUT_PULL: Record<
  Exclude<ProviderKind, 'ollama' | 'vllm'>,
  { server: string; hint: (id: string, model: string) => string }
> = {
  llamacpp: {
    server: 'llama-server',
    hint: (id, m) =>
      `llama-server loads a GGUF file from disk: download ${m} yourself and set providers.${id}.model to its path.`,
  },
  lmstudio: {
    server: 'LM Studio',
    hint: (id, m) => `Download it with LM Studio (\`lms get ${m}\`), then set providers.${id}.model: ${m}.`,
  },
  custom: {
    server: 'this server',
    hint: (id, m) => `Download it with the server's own tools, then set providers.${id}.model: ${m}.`,
  },
};

function noPullApi(p: ProviderConfig, model: string): AcodeError {
  const kind = WITHOUT_PULL[p.kind === 'ollama' || p.kind === 'vllm' ? 'custom' : p.kind];
  return new AcodeError(
    'PULL_FAILED',
    `${p.id}: ${kind.server} has no pull API, so acode cannot download ${model} through it.`,
    kind.hint(p.id, model),
    { details: { provider: p.id, kind: p.kind, model } },
  );
}

export async function pull(deps: CliDeps, model: string, opts: PullOptions): Promise<void> {
  if (model.trim() === '')
    throw new AcodeError(
      'USAGE',
      'No model given.',
      'Pass the model as the provider names it: `acode models pull llama3.2:latest`.',
    );
  const config = await deps.config.load();
  const p = providerById(config, opts.provider ?? config.active);
  if (p.kind === 'vllm') return (await import('./models-pull-hub.js')).pullFromHub(deps, config, p, model, opts);
  if (p.type !== 'ollama') throw noPullApi(p, model);
  // The machine pulls the provider's configured model: configure this one for the run.
  const registry = openRegistry({
    config: { ...config, providers: { ...config.providers, [p.id]: { ...p, model } } },
    env: deps.env,
    ...inspectOf(deps),
  });
  const print = progressPrinter(deps.stderr);
  let pulled = false;
  registry.onStatus((status) => {
    if (status.id === p.id && status.modelState === 'pulling') pulled = true;
    print(status);
  });
  try {
    const provider = await registry.getProvider(p.id, { signal: deps.signal });
    await provider.close();
  } finally {
    await registry.dispose();
  }
  if (opts.json) printJson(deps.stdout, { provider: p.id, model, pulled }, deps.env);
  else deps.stdout.write(pulled ? `pulled ${model} on ${p.id}\n` : `${model} is already on ${p.id}; nothing to pull\n`);
}
