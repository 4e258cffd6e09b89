// What `acode status` does, loaded by status.ts only when one of its commands runs: these imports (the
// engine, the views) cost hundreds of milliseconds, and `--help`, `--version` and the other commands need none.
import type { CliDeps } from '../deps.js';
import { renderPlainLines } from '../views/plain.js';
import { shouldUseColor } from '../views/style.js';
import { gatewayReports, printReports, probeAll } from './providers-actions.js';
import { runningGateway } from './gateway-client.js';
import { configuredProviders, toView } from './provider-reports.js';
import type { NoticeSubscribe } from '../views/index.js';
import { followConfig, noticeLines } from './config-follow.js';
import { openGatewayWatch, openWatch, type Watch } from './status-watch.js';

export interface StatusOptions {
  watch?: boolean;
  json?: boolean;
}

const isTTY = (out: unknown): boolean => (out as { isTTY?: boolean }).isTTY === true;

// Resolves when the command's signal aborts (Ctrl-C): the way out of a plain watch.
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

// Not a terminal: a block of lines (or one JSON array per line) whenever something but the uptime changed.
async function watchPlain(deps: CliDeps, watch: Watch, json: boolean, notices: NoticeSubscribe): Promise<void> {
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
  const unlisten = notices((m) => deps.stderr.write(`${noticeLines(m)}\n`));
  try {
    await aborted(deps.signal);
  } finally {
    unsubscribe();
    unlisten();
  }
}

// A terminal: the Ink app with keys s/x/r/l/q; stdin is the terminal's (the one process.* use here).
async function watchInk(deps: CliDeps, watch: Watch, notices: NoticeSubscribe): Promise<void> {
  const stdout = deps.stdout as NodeJS.WriteStream;
  // Ink and the components (about half a second to load) only when a terminal frame is drawn.
  const [{ render }, { StatusApp }] = await Promise.all([import('ink'), import('../views/index.js')]);
  const app = render(
    <StatusApp
      subscribe={watch.subscribe}
      actions={watch.actions}
      notices={notices}
      color={shouldUseColor({ env: deps.env, isTTY: true })}
    />,
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

export async function status(deps: CliDeps, opts: StatusOptions): Promise<void> {
  const config = await deps.config.load();
  const providers = await configuredProviders(config);
  if (!opts.watch) {
    const reports =
      (await gatewayReports(
        deps,
        providers.map((p) => p.id),
      )) ?? (await probeAll(config, providers, deps));
    printReports(deps, reports, opts.json);
    return;
  }
  const gateway = await runningGateway(deps.env);
  const watch = gateway ? openGatewayWatch(gateway, config, providers, deps) : openWatch(config, providers, deps);
  const notices = followConfig(deps, config, (next) => watch.reload(next));
  try {
    if (isTTY(deps.stdout) && !opts.json) await watchInk(deps, watch, notices);
    else await watchPlain(deps, watch, opts.json === true, notices);
  } finally {
    await watch.close();
  }
}
