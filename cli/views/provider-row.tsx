// One provider: its head (id, state, model), its details, a progress bar while pulling or loading, and its
// last error with the hint. Wide terminals get one aligned line per row; narrow ones get the details on a
// second line, wrapped by whole fields, and the model on its own line when it does not fit beside the state.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { DETAIL_INDENT, packFields, type TableLayout } from './layout.js';
import { ErrorLine } from './error-line.js';
import { sanitizeText } from './format.js';
import { ProgressBar } from './progress-bar.js';
import { detailFields, detailText, FIELD_SEPARATOR, headSegments, modelSegments, rowProgress } from './row-text.js';
import { paint, paintSegments, plainText } from './style.js';
import type { StatusReport } from './types.js';

export interface ProviderRowProps {
  report: StatusReport;
  layout: TableLayout;
  width: number;
  color: boolean;
  selected?: boolean;
}

function Indented({ width, children }: { width: number; children: ReactNode }) {
  return (
    <Box paddingLeft={DETAIL_INDENT} width={width}>
      {children}
    </Box>
  );
}

export function ProviderRow({ report, layout, width, color, selected = false }: ProviderRowProps) {
  const head = headSegments(report, { ...layout, selected });
  const model = modelSegments(report);
  const modelWidth = plainText(model).length;
  const inner = width - DETAIL_INDENT;
  const progress = rowProgress(report);
  const modelBesideHead = plainText(head).length + modelWidth <= width;
  return (
    <Box flexDirection="column" width={width}>
      {layout.oneLine ? (
        <Text wrap="truncate-end">
          {paintSegments(head, color)}
          {paintSegments(model, color)}
          {' '.repeat(Math.max(0, layout.modelWidth - modelWidth))}
          {FIELD_SEPARATOR}
          {paint(detailText(report), 'dim', color)}
        </Text>
      ) : (
        <>
          <Text wrap="truncate-end">
            {paintSegments(head, color)}
            {modelBesideHead ? paintSegments(model, color) : ''}
          </Text>
          {modelBesideHead ? null : (
            <Indented width={width}>
              <Text wrap="truncate-end">{paintSegments(model, color)}</Text>
            </Indented>
          )}
          {packFields(detailFields(report), inner, FIELD_SEPARATOR).map((line, i) => (
            <Indented key={i} width={width}>
              <Text wrap="truncate-end">{paint(line, 'dim', color)}</Text>
            </Indented>
          ))}
        </>
      )}
      {progress ? (
        <Indented width={width}>
          <ProgressBar fraction={progress.fraction} width={inner} color={color} label={progress.label} />
        </Indented>
      ) : null}
      {report.degraded ? (
        <Indented width={width}>
          <Text>
            {paint('degraded', 'yellow', color)}: {sanitizeText(report.degraded)}
          </Text>
        </Indented>
      ) : null}
      {report.lastError ? (
        <Indented width={width}>
          <ErrorLine error={report.lastError} color={color} />
        </Indented>
      ) : null}
    </Box>
  );
}
