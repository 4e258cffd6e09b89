// One provider: its head line (id, state, model), its details, a progress bar while pulling or loading,
// and its last error with the hint. Lines are cut to the width, never allowed to overflow it.
import { Box, Text } from 'ink';
import { DETAIL_INDENT, type TableLayout } from './layout.js';
import { ErrorLine } from './error-line.js';
import { ProgressBar } from './progress-bar.js';
import { detailText, headSegments, modelSegments, rowProgress } from './row-text.js';
import { paint, paintSegments, plainText } from './style.js';
import type { StatusReport } from './types.js';

export interface ProviderRowProps {
  report: StatusReport;
  layout: TableLayout;
  width: number;
  color: boolean;
  selected?: boolean;
}

export function ProviderRow({ report, layout, width, color, selected = false }: ProviderRowProps) {
  const head = headSegments(report, { ...layout, selected });
  const model = modelSegments(report);
  const details = paint(detailText(report), 'dim', color);
  const inner = width - DETAIL_INDENT;
  const progress = rowProgress(report);
  const modelPad = ' '.repeat(Math.max(0, layout.modelWidth - plainText(model).length));
  return (
    <Box flexDirection="column" width={width}>
      {layout.oneLine ? (
        <Text wrap="truncate-end">
          {paintSegments(head, color)}
          {paintSegments(model, color)}
          {modelPad}  {details}
        </Text>
      ) : (
        <>
          <Text wrap="truncate-end">
            {paintSegments(head, color)}
            {paintSegments(model, color)}
          </Text>
          <Box paddingLeft={DETAIL_INDENT} width={width}>
            <Text wrap="truncate-end">{details}</Text>
          </Box>
        </>
      )}
      {progress ? (
        <Box paddingLeft={DETAIL_INDENT} width={width}>
          <ProgressBar fraction={progress.fraction} width={inner} color={color} label={progress.label} />
        </Box>
      ) : null}
      {report.lastError ? (
        <Box paddingLeft={DETAIL_INDENT} width={width}>
          <ErrorLine error={report.lastError} color={color} />
        </Box>
      ) : null}
    </Box>
  );
}
