// What `acode models` does, loaded by models.ts only when one of its commands runs: these imports (the
// engine, the views) cost hundreds of milliseconds, and `--help`, `--version` and the other commands need none.
import { AcodeError, type AcodeConfig, type ProviderConfig } from '../../config/index.js';
import type { ModelInfo, ModelProvider } from '../../adapters/index.js';
import { openRegistry } from '../../machines/index.js';
import type { CliDeps } from '../deps.js';
import { printJson, renderTable } from '../output/index.js';
import { progressPrinter } from './provider-lifecycle.js';
import { inspectOf, probeProvider, providerById } from './provider-reports.js';

export interface ModelsOptions {
  provider?: string;
  /** commander's negated flag: false with --no-start. */
  start?: boolean;
  json?: boolean;
}

// --no-start: one probe; a server that is not up (or loading) is an error that says how to start it.
async function refuseIfDown(config: AcodeConfig, p: ProviderConfig, deps: CliDeps): Promise<void> {
  const found = await probeProvider(config, p, deps);
  if (found.state === 'healthy' || found.state === 'starting') return;
  throw new AcodeError(
    'PROVIDER_UNAVAILABLE',
    `${p.id} is ${found.state}, and --no-start leaves it that way.`,
    found.lastError?.hint || `Start it with \`acode providers start ${p.id}\`, or run the command without --no-start.`,
    { details: { provider: p.id, state: found.state } },
  );
}

async function withProvider<T>(
  deps: CliDeps,
  opts: ModelsOptions,
  use: (provider: ModelProvider, p: ProviderConfig) => Promise<T>,
): Promise<T> {
  const config = await deps.config.load();
  const p = providerById(config, opts.provider ?? config.active);
  if (opts.start === false) await refuseIfDown(config, p, deps);
  const registry = openRegistry({ config, env: deps.env, ...inspectOf(deps) });
  registry.onStatus(progressPrinter(deps.stderr));
  try {
    const provider = await registry.getProvider(p.id, { signal: deps.signal });
    return await use(provider, p);
  } finally {
    await registry.dispose();
  }
}

function size(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export async function list(deps: CliDeps, opts: ModelsOptions): Promise<void> {
  const { models, id, configured } = await withProvider(deps, opts, async (provider, p) => ({
    models: await provider.listModels({ signal: deps.signal }),
    id: p.id,
    configured: p.model,
  }));
  if (opts.json) {
    printJson(deps.stdout, { provider: id, models }, deps.env);
    return;
  }
  const rows = models.map((m) => [
    m.id === configured ? '*' : ' ',
    m.id,
    size(m.sizeBytes),
    m.parameterSize ?? '-',
    m.quantization ?? '-',
    m.contextLength?.toString() ?? '-',
  ]);
  deps.stdout.write(renderTable(['', 'MODEL', 'SIZE', 'PARAMS', 'QUANT', 'CONTEXT'], rows));
}

function infoLines(m: ModelInfo): string[] {
  const fields: Array<[string, string | undefined]> = [
    ['model', m.id],
    ['size', m.sizeBytes === undefined ? undefined : size(m.sizeBytes)],
    ['family', m.family],
    ['parameters', m.parameterSize],
    ['quantization', m.quantization],
    ['context', m.contextLength?.toString()],
    ['capabilities', m.capabilities?.join(', ')],
  ];
  return fields.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`);
}

export async function info(deps: CliDeps, model: string | undefined, opts: ModelsOptions): Promise<void> {
  const result = await withProvider(deps, opts, async (provider, p) => {
    const id = model ?? p.model;
    if (id === undefined) {
      throw new AcodeError(
        'USAGE',
        `No model given, and providers.${p.id}.model is not set.`,
        'Pass the model: `acode models info <model>`.',
      );
    }
    return { provider: p.id, info: await provider.modelInfo(id, { signal: deps.signal }) };
  });
  if (opts.json) printJson(deps.stdout, { provider: result.provider, ...result.info }, deps.env);
  else deps.stdout.write(`${[...infoLines(result.info), `${'provider:'.padEnd(14)}${result.provider}`].join('\n')}\n`);
}
