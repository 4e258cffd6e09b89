// `acode status [--watch] [--json]` and `acode tui`. Without --watch: one detection per configured provider,
// printed as plain lines (or JSON); nothing is started. With --watch: the live view (Ink) on a terminal, or
// plain lines re-printed on every change when stdout is not one; the watch supervises while it runs.
import { render } from 'ink';
import type { CliDeps, CommandRegistrar } from '../deps.js';
import { renderPlainLines, shouldUseColor, StatusApp } from '../views/index.js';
import { printReports, probeAll } from './providers.js';
import { configuredProviders, toView } from './provider-reports.js';
import { openWatch, type Watch } from './status-watch.js';

interface StatusOptions {
  watch?: boolean;
  json?: boolean;
}

const isTTY = (out: unknown): boolean => (out as { isTTY?: boolean }).isTTY === true;

// Resolves when the command's signal aborts (Ctrl-C): the way out of a plain watch.
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => { if (signal.aborted) resolve(); else signal.addEventListener('abort', () => resolve(), { once: true }); });

// Not a terminal: a block of lines (or one JSON array per line) whenever something but the uptime changed.
async function watchPlain(deps: CliDeps, watch: Watch, json: boolean): Promise<void> {
  let last = '';
  const print = (): void => {
    const reports = watch.reports();
    const key = JSON.stringify(reports.map((r) => ({ ...r, uptimeMs: null })));
    if (key === last) return;
    last = key;
    if (json) deps.stdout.write(`${JSON.stringify(reports)}\n`);
    else deps.stdout.write(`${renderPlainLines(reports.map(toView)).join('\n')}\n\n`);
  };
  await watch.ready;
  print();
  const unsubscribe = watch.subscribe(print);
  try {
    await aborted(deps.signal);
  } finally {
    unsubscribe();
  }
}

// A terminal: the Ink app with keys s/x/r/l/q; stdin is the terminal's (the one process.* use here).
async function watchInk(deps: CliDeps, watch: Watch): Promise<void> {
  const stdout = deps.stdout as NodeJS.WriteStream;
  const app = render(
    <StatusApp subscribe={watch.subscribe} actions={watch.actions} color={shouldUseColor({ env: deps.env, isTTY: true })} />,
    { stdout, stdin: process.stdin, exitOnCtrlC: true, patchConsole: false },
  );
  const onAbort = () => app.unmount();
  deps.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await app.waitUntilExit();
  } finally {
    deps.signal.removeEventListener('abort', onAbort);
  }
}

async function status(deps: CliDeps, opts: StatusOptions): Promise<void> {
  const config = await deps.config.load();
  const providers = await configuredProviders(config);
  if (!opts.watch) {
    printReports(deps, await probeAll(config, providers, deps), opts.json);
    return;
  }
  const watch = openWatch(config, providers, deps);
  try {
    if (isTTY(deps.stdout) && !opts.json) await watchInk(deps, watch);
    else await watchPlain(deps, watch, opts.json === true);
  } finally {
    await watch.close();
  }
}

export const statusCommand: CommandRegistrar = (program, deps) => {
  program
    .command('status')
    .description('show each configured provider: state, model, lifecycle, pid, port, uptime, restarts, last error (starts nothing)')
    .option('--watch', 'keep watching: a live view with keys s start, x stop, r restart, l log, q quit (plain lines re-printed on change when stdout is not a terminal)')
    .option('--json', 'print a JSON array of reports (with --watch: one array per line on each change)')
    .action((opts: StatusOptions) => status(deps, opts));
  program
    .command('tui')
    .description('the live status view (same as `acode status --watch`)')
    .action(() => status(deps, { watch: true }));
};
