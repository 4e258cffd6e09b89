// The last lines of one server's log, under the table; each line is cut to the width, never wrapped,
// so a chatty server cannot push the table off screen.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { sanitizeText } from './format.js';
import { paint } from './style.js';
import type { LogTailData } from './types.js';

export interface LogTailProps {
  log: LogTailData;
  width: number;
  color: boolean;
  maxLines?: number;
}

export function LogTail({ log, width, color, maxLines = 8 }: LogTailProps) {
  const title = ` log: ${sanitizeText(log.id)} `;
  const rule = '─'.repeat(Math.max(0, Math.min(width, 80) - title.length - 2));
  const lines = log.lines.slice(-maxLines).map(sanitizeText);
  let body: ReactNode[];
  if (log.error) body = [<Text key="error">{paint(sanitizeText(log.error), 'red', color)}</Text>];
  else if (log.loading && lines.length === 0) body = [<Text key="loading">{paint('loading…', 'dim', color)}</Text>];
  else if (lines.length === 0) body = [<Text key="empty">{paint('(no output yet)', 'dim', color)}</Text>];
  else
    body = lines.map((line, i) => (
      <Text key={i} wrap="truncate-end">
        {line === '' ? ' ' : line}
      </Text>
    ));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">{paint(`──${title}${rule}`, 'dim', color)}</Text>
      {body}
    </Box>
  );
}
