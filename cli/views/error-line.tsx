// A provider's last error as the CLI prints it: `error[CODE]: message`, then `hint: what to do`.
import { Box, Text } from 'ink';
import { sanitizeText } from './format.js';
import { paint } from './style.js';
import type { StatusError } from './types.js';

export interface ErrorLineProps {
  error: StatusError;
  color: boolean;
}

// Both lines wrap rather than truncate: the hint is the one sentence that tells the user what to do.
export function ErrorLine({ error, color }: ErrorLineProps) {
  const code = sanitizeText(error.code);
  return (
    <Box flexDirection="column">
      <Text>
        {paint(`error[${code}]`, 'red', color)}: {sanitizeText(error.message)}
      </Text>
      {error.hint ? (
        <Text>
          {paint('hint', 'cyan', color)}: {sanitizeText(error.hint)}
        </Text>
      ) : null}
    </Box>
  );
}
