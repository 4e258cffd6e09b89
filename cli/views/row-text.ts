// The words of one provider row, shared by the Ink row and the plain (non-TTY) lines so both say the same.
import {
  etaSeconds,
  formatEta,
  formatPercent,
  formatRate,
  formatUptime,
  progressFraction,
  sanitizeText,
} from './format.js';
import { MODEL_TONE, STATE_TONE, type Segment } from './style.js';
import type { StatusReport } from './types.js';

/** While starting, what the server logs: `downloading model-00001-of-00004.safetensors 598M/4.98G`. */
export function loadText(report: StatusReport): string | undefined {
  return report.load ? sanitizeText(report.load.text) : undefined;
}

/** The model region after the model name: `ready`, `pulling 43% 120 MB/s ETA 0:12`, `missing: <reason>`. */
function modelStatusText(report: StatusReport): string | undefined {
  const detail = report.modelDetail;
  switch (report.modelState) {
    case undefined:
      return report.state === 'starting' ? loadText(report) : undefined;
    case 'pulling': {
      const parts = ['pulling'];
      const fraction = progressFraction(detail);
      if (fraction !== undefined) parts.push(formatPercent(fraction));
      if (detail && detail.bytesPerSecond > 0) parts.push(formatRate(detail.bytesPerSecond));
      const eta = detail && (fraction ?? 0) < 1 ? formatEta(etaSeconds(detail) ?? Number.NaN) : undefined;
      if (eta !== undefined) parts.push(`ETA ${eta}`);
      return parts.join(' ');
    }
    case 'missing':
      return detail?.reason ? `missing: ${sanitizeText(detail.reason)}` : 'missing';
    default:
      return report.modelState;
  }
}

/** Model name and its state as coloured segments; `-` when the provider reports no model. */
export function modelSegments(report: StatusReport): Segment[] {
  const status = modelStatusText(report);
  const name = report.model ? sanitizeText(report.model) : undefined;
  if (!name && !status) return [{ text: '-', tone: 'gray' }];
  const segments: Segment[] = [];
  if (name) segments.push({ text: name });
  if (name && status) segments.push({ text: ' ' });
  if (status) segments.push({ text: status, tone: report.modelState ? MODEL_TONE[report.modelState] : 'yellow' });
  return segments;
}

/** Lifecycle/mode, pid, port, uptime and restarts: the facts that do not change colour, one string each. */
export function detailFields(report: StatusReport): string[] {
  const pid = report.pid === undefined ? 'pid -' : `pid ${report.pid}${report.owned ? ' (acode)' : ''}`;
  const up = report.uptimeMs === undefined ? 'up -' : `up ${formatUptime(report.uptimeMs)}`;
  return [`${report.lifecycle}/${report.mode}`, pid, `port ${report.port}`, up, `restarts ${report.restartsInWindow}`];
}

export const FIELD_SEPARATOR = '  ';

export function detailText(report: StatusReport): string {
  return detailFields(report).join(FIELD_SEPARATOR);
}

/** The head of a row: selection marker, id and state padded to the table's columns. */
export function headSegments(
  report: StatusReport,
  { idWidth, stateWidth, selected }: { idWidth: number; stateWidth: number; selected: boolean },
): Segment[] {
  const id = sanitizeText(report.id);
  return [
    { text: selected ? '> ' : '  ', tone: selected ? 'bold' : undefined },
    { text: id, tone: selected ? 'inverse' : 'bold' },
    { text: ' '.repeat(Math.max(1, idWidth - id.length + 1)) },
    { text: report.state, tone: STATE_TONE[report.state] },
    { text: ' '.repeat(Math.max(1, stateWidth - report.state.length + 1)) },
  ];
}

export interface RowProgress {
  label: 'pull' | 'load';
  fraction: number;
}

/** A bar is drawn during a pull, and during a model load once the engine knows a fraction. */
export function rowProgress(report: StatusReport): RowProgress | undefined {
  const fraction = progressFraction(report.modelDetail);
  if (fraction === undefined) return undefined;
  if (report.modelState === 'pulling') return { label: 'pull', fraction };
  if (report.state === 'starting') return { label: 'load', fraction };
  return undefined;
}
