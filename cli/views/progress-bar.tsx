// A one-line progress bar sized to the columns it is given: `pull [#####-----] 43%`.
import { Text } from 'ink';
import { clampFraction, formatPercent } from './format.js';
import { paint } from './style.js';

export interface ProgressBarProps {
  fraction: number;
  /** Columns available for the whole line, label and percentage included. */
  width: number;
  color: boolean;
  label?: string;
}

const FULL = '█';
const EMPTY = '░';

/** The number of filled cells; floored so the bar is full only when the work is. */
function filledCells(fraction: number, cells: number): number {
  return Math.floor(clampFraction(fraction) * cells);
}

export function ProgressBar({ fraction, width, color, label }: ProgressBarProps) {
  const percent = formatPercent(fraction);
  const prefix = label ? `${label} ` : '';
  // "[" + "]" + " " + "100%" is 7 columns; the bar takes what is left, between 10 and 40 cells.
  const cells = Math.max(10, Math.min(40, width - prefix.length - 7));
  const filled = filledCells(fraction, cells);
  const bar = paint(FULL.repeat(filled), 'cyan', color) + paint(EMPTY.repeat(cells - filled), 'gray', color);
  return (
    <Text wrap="truncate-end">
      {prefix}[{bar}] {percent}
    </Text>
  );
}
