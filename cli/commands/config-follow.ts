// Long-running commands (`status --watch`, `inspect`) follow edits of the config file: a valid edit is
// applied to the services it changed, a broken one is reported and the last good config stays in force.
import { watchConfigFile, type AcodeConfig, type AcodeError } from '../../config/index.js';
import type { ReloadSummary } from '../../machines/index.js';
import type { NoticeSubscribe, ViewMessage } from '../views/index.js';
import type { CliDeps } from '../deps.js';

/** Starts following the config file (until deps.signal aborts); the notices say what each edit did. */
export function followConfig(
  deps: CliDeps,
  config: AcodeConfig,
  apply: (next: AcodeConfig) => Promise<ReloadSummary>,
): NoticeSubscribe {
  const listeners = new Set<(m: ViewMessage) => void>();
  const tell = (m: ViewMessage): void => {
    for (const l of listeners) l(m);
  };
  const file = config.file;
  if (file !== undefined) {
    watchConfigFile(config, {
      file,
      load: () => deps.config.load(),
      signal: deps.signal,
      onReload: async (next) => {
        const summary = await apply(next);
        deps.log?.info({ file, ...summary }, 'config reloaded');
        tell({ text: describeReload(file, summary), tone: 'info' });
      },
      onInvalid: (error) => {
        deps.log?.warn({ file, code: error.code, error: error.message }, 'config edit not applied');
        tell(describeRejectedEdit(error));
      },
    });
  }
  return (listener) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };
}

/** A notice as stderr lines: `acode: ...`, or an error with its hint. */
export function noticeLines(m: ViewMessage): string {
  return m.error ? `${m.text}\nhint: ${m.error.hint}` : `acode: ${m.text}`;
}

/** One line for a reload: what each changed provider does now. */
function describeReload(file: string, summary: ReloadSummary): string {
  const parts = [
    ...summary.restarting.map((id) => `${id} restarting with the new settings`),
    ...summary.changed.filter((id) => !summary.restarting.includes(id)).map((id) => `${id} updated`),
    ...summary.added.map((id) => `${id} added`),
    ...summary.removed.map((id) => `${id} no longer watched`),
  ];
  return `config reloaded from ${file}: ${parts.length > 0 ? parts.join(', ') : 'no provider changed'}`;
}

/** The notice for an edit that does not load: the error, and that the last good config stays in force. */
function describeRejectedEdit(error: AcodeError): ViewMessage {
  const message = `edit not applied, still running on the last good config: ${error.message}`;
  return {
    text: `error[${error.code}]: ${message}`,
    tone: 'error',
    error: { code: error.code, message, hint: error.hint },
  };
}
