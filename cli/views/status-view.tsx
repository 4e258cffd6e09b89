// The whole status screen, pure on props: a title, one row per provider, a notice, the log panel and
// the key help. StatusApp feeds it; `acode status` can render it once.
import { Box, Text } from 'ink';
import { tableLayout } from './layout.js';
import { ErrorLine } from './error-line.js';
import { KeyHelp } from './key-help.js';
import { LogTail } from './log-tail.js';
import { ProviderRow } from './provider-row.js';
import { sanitizeText } from './format.js';
import { paint } from './style.js';
import type { LogTailData, StatusReport, ViewMessage } from './types.js';

export interface StatusViewProps {
  reports: readonly StatusReport[];
  /** Terminal columns; no line of the frame is wider. */
  width?: number;
  /** Decided once by the caller from NO_COLOR and the TTY; false means no escape code at all. */
  color?: boolean;
  /** Shown as the time of the last update in the title. */
  now?: Date;
  /** The id of the selected provider. */
  selected?: string;
  logTail?: LogTailData;
  message?: string | ViewMessage;
  /** The key help footer; off for a one-shot, non-interactive render. */
  showKeys?: boolean;
}

const DEFAULT_WIDTH = 80;
// Below this the rows cannot say anything useful; the frame still never exceeds the width given.
const MIN_WIDTH = 20;

function clock(now: Date): string {
  return [now.getHours(), now.getMinutes(), now.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function StatusView({
  reports,
  width = DEFAULT_WIDTH,
  color = false,
  now,
  selected,
  logTail,
  message,
  showKeys = true,
}: StatusViewProps) {
  const columns = Math.max(MIN_WIDTH, Math.floor(width));
  const layout = tableLayout(reports, columns);
  const notice = typeof message === 'string' ? { text: message, tone: 'info' as const } : message;
  const count = `${reports.length} provider${reports.length === 1 ? '' : 's'}`;
  return (
    <Box flexDirection="column" width={columns}>
      <Text wrap="truncate-end">
        {paint('acode status', 'bold', color)}
        {'  '}
        {count}
        {now ? `  ${clock(now)}` : ''}
      </Text>
      {reports.length === 0 ? <Text>{paint('(no providers)', 'dim', color)}</Text> : null}
      {reports.map((report) => (
        <ProviderRow
          key={report.id}
          report={report}
          layout={layout}
          width={columns}
          color={color}
          selected={report.id === selected}
        />
      ))}
      {notice?.error ? <ErrorLine error={notice.error} color={color} /> : null}
      {notice && !notice.error ? (
        <Text>{paint(sanitizeText(notice.text), notice.tone === 'error' ? 'red' : 'dim', color)}</Text>
      ) : null}
      {logTail ? <LogTail log={logTail} width={columns} color={color} /> : null}
      {showKeys ? <KeyHelp color={color} /> : null}
    </Box>
  );
}
