// Column widths and the one-line/two-line decision, made once for the whole table so rows stay aligned.
import { plainText } from './style.js';
import { detailText, modelSegments } from './row-text.js';
import { sanitizeText } from './format.js';
import type { StatusReport } from './types.js';

export interface TableLayout {
  idWidth: number;
  stateWidth: number;
  modelWidth: number;
  /** Every row fits on one line; otherwise every row uses two (head, then details indented). */
  oneLine: boolean;
}

const MARKER_WIDTH = 2;
export const DETAIL_INDENT = 4;
const MAX_ID_WIDTH = 24;

/** Decides the table's columns from the reports and the terminal width. */
export function tableLayout(reports: readonly StatusReport[], width: number): TableLayout {
  const idWidth = Math.min(MAX_ID_WIDTH, Math.max(8, ...reports.map((r) => sanitizeText(r.id).length)));
  const stateWidth = Math.max(...reports.map((r) => r.state.length), 'unavailable'.length);
  const modelWidth = Math.max(1, ...reports.map((r) => plainText(modelSegments(r)).length));
  const headWidth = MARKER_WIDTH + idWidth + 1 + stateWidth + 1;
  const oneLine = reports.every((r) => headWidth + modelWidth + 2 + detailText(r).length <= width);
  return { idWidth, stateWidth, modelWidth, oneLine };
}

// Wrapping by whole fields keeps "pid 4242" together where a word wrap could split it across lines.
/** Packs fields greedily into lines no wider than `width`; a field wider than a line gets a line of its own. */
export function packFields(fields: readonly string[], width: number, separator = '  '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const field of fields) {
    if (line === '') line = field;
    else if (line.length + separator.length + field.length <= width) line += separator + field;
    else {
      lines.push(line);
      line = field;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
