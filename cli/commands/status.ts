// `acode status [--watch] [--json]` and `acode tui`. Without --watch: one detection per configured provider,
// printed as plain lines (or JSON); nothing is started. With --watch: the live view (Ink) on a terminal, or
// plain lines re-printed on every change when stdout is not one; the watch supervises while it runs.
import type { CommandRegistrar } from '../deps.js';
import type { StatusOptions } from './status-actions.js';

// The actions and everything they import load on first use, not at start-up.
const actions = () => import('./status-actions.js');

export const statusCommand: CommandRegistrar = (program, deps) => {
  program
    .command('status')
    .description(
      'show each configured provider: state, model, lifecycle, pid, port, uptime, restarts, last error (starts nothing)',
    )
    .option(
      '--watch',
      'keep watching: a live view with keys s start, x stop, r restart, l log, q quit (plain lines re-printed on change when stdout is not a terminal)',
    )
    .option('--json', 'print a JSON array of reports (with --watch: one array per line on each change)')
    .action(async (opts: StatusOptions) => (await actions()).status(deps, opts));
  program
    .command('tui')
    .description('the live status view (same as `acode status --watch`)')
    .action(async () => (await actions()).status(deps, { watch: true }));
};
