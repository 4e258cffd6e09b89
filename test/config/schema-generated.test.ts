// The ahead-of-time compiled config validator must be CONFIG_SCHEMA as it is now.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_VALIDATOR_PATH, validatorSource } from '../../config/schema-codegen.js';

describe('config/schema-validator.generated.ts', () => {
  it('matches config/schema.ts (else run `npm run gen:validator`)', () => {
    const checkedIn = readFileSync(new URL(`../../${GENERATED_VALIDATOR_PATH}`, import.meta.url), 'utf8');
    expect(checkedIn === validatorSource(), 'config/schema-validator.generated.ts is stale: run `npm run gen:validator`').toBe(true);
  });
});
