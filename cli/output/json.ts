// The one JSON printer for `--json`: stable two-space indentation, one document, secrets removed.
import { redact, type Env } from '../../config/index.js';
import type { Output } from './types.js';

export function printJson(out: Output, value: unknown, env: Env): void {
  out.write(`${JSON.stringify(redact(value, env), null, 2)}\n`);
}
