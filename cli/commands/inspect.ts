// `acode inspect [--port P] [--open-recording FILE]`: the offline inspector page on 127.0.0.1. This
// process supervises the configured providers (the active one and the fallbacks, or --provider ...)
// through a registry whose inspection events feed the page live; a loaded recording can be scrubbed.
import type { CommandRegistrar } from '../deps.js';
import type { InspectOptions } from './inspect-actions.js';

// The actions and everything they import load on first use, not at start-up.
const actions = () => import('./inspect-actions.js');

export const inspectCommand: CommandRegistrar = (program, deps) => {
  program
    .command('inspect')
    .description(
      'serve an offline inspector page on 127.0.0.1: live state charts of the providers, event log, recording scrubber',
    )
    .option('--port <port>', 'port on 127.0.0.1 (0 = a free one)', '7357')
    .option('--open-recording <file>', 'load a --record recording to scrub through on the page')
    .option('--provider <ids...>', 'providers to supervise (default: providers.active and the fallback list)')
    .option('--no-supervise', 'only serve the page (e.g. for a recording); start and watch nothing')
    .action(async (opts: InspectOptions) => (await actions()).inspect(deps, opts));
};
