// Public API of the status views: pure Ink components, the interactive wrapper, the plain renderer.
export type {
  LogTailData,
  ModelDetail,
  ModelState,
  ServiceState,
  StatusActions,
  StatusError,
  StatusReport,
  StatusSubscribe,
  NoticeSubscribe,
  ViewMessage,
} from './types.js';
export { MODEL_STATES, SERVICE_STATES } from './types.js';
export { StatusView, type StatusViewProps } from './status-view.js';
export { StatusApp, type StatusAppProps } from './status-app.js';
export { ProviderRow, type ProviderRowProps } from './provider-row.js';
export { ProgressBar, type ProgressBarProps } from './progress-bar.js';
export { ErrorLine, type ErrorLineProps } from './error-line.js';
export { KeyHelp, type KeyHelpProps } from './key-help.js';
export { LogTail, type LogTailProps } from './log-tail.js';
export { renderPlainLine, renderPlainLines } from './plain.js';
export { shouldUseColor } from './style.js';
export { formatBytes, formatEta, formatPercent, formatRate, formatUptime, sanitizeText } from './format.js';
export { fromServiceStatus, type ProviderFacts } from './from-service.js';
