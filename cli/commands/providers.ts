// `acode providers start|stop|restart|status [id]`: the servers' lifecycle by hand. Without an id each
// command acts on every configured provider (named in the config file, or active). `status` only looks:
// one detection per provider, nothing is started.
import type { CommandRegistrar } from '../deps.js';
import type { JsonOption } from './providers-actions.js';

// The actions and everything they import load on first use, not at start-up.
const actions = () => import('./providers-actions.js');

const ID_HELP = 'provider id (default: every configured provider: those named in the config file, and the active one)';

export const providersCommand: CommandRegistrar = (program, deps) => {
  const providers = program.command('providers').description('start, stop, restart or look at the configured servers');
  providers
    .command('status')
    .description(
      'detect each server (one probe, nothing is started) and print its state: healthy, starting, stopped, unavailable, failed',
    )
    .argument('[id]', ID_HELP)
    .option(
      '--json',
      'print a JSON array of reports (id, kind, state, model, lifecycle, mode, pid, port, baseUrl, owned, lastError ...)',
    )
    .action(async (id: string | undefined, opts: JsonOption) => (await actions()).status(deps, id, opts));
  providers
    .command('start')
    .description(
      'detect, start if managed, wait until healthy with the model ready (progress on stderr); the server keeps running after acode exits',
    )
    .argument('[id]', ID_HELP)
    .option('--json', 'print a JSON array of reports once every provider settled')
    .action(async (id: string | undefined, opts: JsonOption) => (await actions()).start(deps, id, opts));
  providers
    .command('stop')
    .description(
      'stop the servers acode started (SIGTERM, grace, SIGKILL); a server acode did not start is left running, with a note on stderr',
    )
    .argument('[id]', ID_HELP)
    .option('--json', 'print a JSON array: id, action (stopped, left-running, not-running), state, pid, signal, reason')
    .action(async (id: string | undefined, opts: JsonOption) => (await actions()).stop(deps, id, opts));
  providers
    .command('restart')
    .description('stop (only what acode started), then start and wait until healthy')
    .argument('[id]', ID_HELP)
    .option('--json', 'print { stopped: [...stop outcomes], started: [...reports] }')
    .action(async (id: string | undefined, opts: JsonOption) => (await actions()).restart(deps, id, opts));
};
