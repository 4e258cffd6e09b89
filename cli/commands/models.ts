// `acode models list|info [model] [--provider id] [--no-start]`: what a provider serves, asked through the
// registry, so the provider is healthy first. A stopped managed provider is started for this (and stopped
// again on exit only when its stop_on_exit says so); --no-start refuses instead. `acode models pull
// <model>` downloads one the way `acode ask` pulls a missing model (models-pull.ts).
import type { CommandRegistrar } from '../deps.js';
import type { ModelsOptions } from './models-actions.js';
import type { PullOptions } from './models-pull.js';

// The actions and everything they import load on first use, not at start-up.
const actions = () => import('./models-actions.js');

const START_HELP =
  'fail with PROVIDER_UNAVAILABLE instead of starting a stopped provider (by default a stopped managed provider is started, as `acode ask` would)';

export const modelsCommand: CommandRegistrar = (program, deps) => {
  const models = program.command('models').description('list the models a provider serves, describe one, or pull one');
  models
    .command('list')
    .description("list the provider's models (* marks the configured one); makes the provider healthy first")
    .option('--provider <id>', 'ask this provider (default: providers.active)')
    .option('--no-start', START_HELP)
    .option(
      '--json',
      'print { provider, models: [{ id, sizeBytes, family, parameterSize, quantization, contextLength, capabilities }] }',
    )
    .action(async (opts: ModelsOptions) => (await actions()).list(deps, opts));
  models
    .command('info')
    .description(
      "describe one model (default: the provider's configured model); an unknown model is MODEL_NOT_FOUND (exit 4)",
    )
    .argument('[model]', 'model id as the provider names it')
    .option('--provider <id>', 'ask this provider (default: providers.active)')
    .option('--no-start', START_HELP)
    .option(
      '--json',
      'print { provider, id, sizeBytes, family, parameterSize, quantization, contextLength, capabilities }',
    )
    .action(async (model: string | undefined, opts: ModelsOptions) => (await actions()).info(deps, model, opts));
  models
    .command('pull')
    .description(
      'download a model, with progress on stderr: Ollama pulls it as `acode ask` does; vLLM: acode downloads the Hugging Face model into the hub cache',
    )
    .argument('<model>', 'model id as the provider names it, e.g. llama3.2:latest')
    .option('--provider <id>', 'pull with this provider (default: providers.active)')
    .option('--revision <rev>', 'vLLM: the Hugging Face branch, tag or commit (default: main)')
    .option('--weights <format>', 'vLLM: auto, safetensors or bin (default auto: safetensors when the repo has them)')
    .option('--json', 'print { provider, model, pulled } (pulled: false when the model was already there)')
    .action(async (model: string, opts: PullOptions) => (await import('./models-pull.js')).pull(deps, model, opts));
};
