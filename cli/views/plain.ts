// The non-TTY output: one line per provider, `id key=value …` in a fixed order, no escape codes, so it
// can be grepped, diffed and parsed by scripts.
import {
  formatUptime,
  progressFraction,
  formatPercent,
  formatRate,
  etaSeconds,
  formatEta,
  sanitizeText,
} from './format.js';
import { loadText } from './row-text.js';
import type { StatusReport } from './types.js';

// Values with spaces or quotes are JSON-quoted so every field stays one whitespace-free token or one string.
function value(text: string | number | undefined): string {
  if (text === undefined || text === '') return '-';
  const s = typeof text === 'number' ? String(text) : sanitizeText(text);
  return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

/** One plain line for one provider. */
export function renderPlainLine(r: StatusReport): string {
  const fields: Array<[string, string | number | undefined]> = [
    ['state', r.state],
    ['model', r.model],
    ['model_state', r.modelState],
  ];
  if (r.modelState === 'pulling' || (r.state === 'starting' && progressFraction(r.modelDetail) !== undefined)) {
    const fraction = progressFraction(r.modelDetail);
    const eta = r.modelDetail ? formatEta(etaSeconds(r.modelDetail) ?? Number.NaN) : undefined;
    fields.push(
      ['progress', fraction === undefined ? undefined : formatPercent(fraction)],
      [
        'rate',
        r.modelDetail && r.modelDetail.bytesPerSecond > 0
          ? formatRate(r.modelDetail.bytesPerSecond).replace(' ', '')
          : undefined,
      ],
      ['eta', eta],
    );
  }
  if (r.modelState === 'missing') fields.push(['reason', r.modelDetail?.reason]);
  if (r.state === 'starting' && r.load) fields.push(['load', loadText(r)]);
  fields.push(
    ['lifecycle', r.lifecycle],
    ['mode', r.mode],
    ['pid', r.pid],
    ['port', r.port],
    ['url', r.baseUrl],
    ['owned', r.owned ? 'yes' : 'no'],
    ['uptime', r.uptimeMs === undefined ? undefined : formatUptime(r.uptimeMs)],
    ['restarts', r.restartsInWindow],
  );
  if (r.degraded) fields.push(['degraded', r.degraded]);
  if (r.lastError) {
    fields.push(['error', r.lastError.code], ['message', r.lastError.message], ['hint', r.lastError.hint]);
  }
  return [value(r.id), ...fields.map(([k, v]) => `${k}=${value(v)}`)].join(' ');
}

/** The plain lines for every provider, in the order given. */
export function renderPlainLines(reports: readonly StatusReport[]): string[] {
  return reports.map(renderPlainLine);
}
