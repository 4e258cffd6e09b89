// Maps the service machine's report (machines/status.ts: nulls, the model region in `model`, pull progress
// in `pull`) onto the view model, so the views stay pure on one shape and the machine keeps its own.
import { LOAD_PHASE_WORD, type StatusReport as ServiceStatusReport } from '../../machines/index.js';
import type { StatusReport } from './types.js';

/** What the provider's config knows and the machine's report does not carry. */
export interface ProviderFacts {
  kind?: string;
  /** The configured model name; shown in every model state, not only when ready. */
  model?: string;
}

/** One machine report as a view report. */
export function fromServiceStatus(report: ServiceStatusReport, facts: ProviderFacts = {}): StatusReport {
  const modelState = report.model ?? undefined;
  const model = facts.model ?? (modelState === 'ready' ? (report.modelDetail ?? undefined) : undefined);
  // A missing model caused by an error is explained by the error line (with its hint); the region stays short.
  const missingReason = modelState === 'missing' && !report.lastError ? (report.modelDetail ?? undefined) : undefined;
  const view: StatusReport = {
    id: report.id,
    kind: facts.kind ?? '',
    state: report.state,
    lifecycle: report.lifecycle,
    mode: report.mode,
    port: report.port,
    baseUrl: report.baseUrl,
    owned: report.owned,
    restartsInWindow: report.restartsInWindow,
  };
  if (model !== undefined) view.model = model;
  if (modelState !== undefined) view.modelState = modelState;
  if (report.pull) {
    const { completed, total, bytesPerSecond } = report.pull;
    view.modelDetail = { completed, total, bytesPerSecond };
  } else if (missingReason !== undefined) {
    view.modelDetail = { completed: 0, total: 0, bytesPerSecond: 0, reason: missingReason };
  }
  if (report.load) {
    const { phase, percent } = report.load;
    const text = `${LOAD_PHASE_WORD[phase]} ${report.load.text}`;
    view.load = percent === null ? { text } : { text, percent };
    // The row draws its `load` bar from modelDetail while starting (row-text.ts rowProgress).
    if (percent !== null) view.modelDetail = { completed: percent, total: 100, bytesPerSecond: 0 };
  }
  if (report.pid !== null) view.pid = report.pid;
  if (report.uptimeMs !== null) view.uptimeMs = report.uptimeMs;
  if (report.degraded) view.degraded = report.degraded;
  if (report.lastError) {
    const { code, message, hint } = report.lastError;
    view.lastError = { code, message, hint };
  }
  return view;
}
