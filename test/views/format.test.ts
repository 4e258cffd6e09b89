import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatEta,
  formatPercent,
  formatRate,
  formatUptime,
  sanitizeText,
  shouldUseColor,
} from '../../cli/views/index.js';
import { clampFraction, etaSeconds, progressFraction } from '../../cli/views/format.js';
import { packFields } from '../../cli/views/layout.js';

describe('formatBytes / formatRate', () => {
  it('uses decimal units with one decimal below ten', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500)).toBe('1.5 kB');
    expect(formatBytes(120_000_000)).toBe('120 MB');
    expect(formatBytes(4_700_000_000)).toBe('4.7 GB');
    expect(formatBytes(12_400_000_000)).toBe('12 GB');
  });
  it('carries 999.6 kB into the next unit instead of printing 1000 kB', () => {
    expect(formatBytes(999_600)).toBe('1.0 MB');
  });
  it('treats negative and non-finite sizes as zero', () => {
    expect(formatBytes(-5)).toBe('0 B');
    expect(formatBytes(Number.NaN)).toBe('0 B');
  });
  it('prints a rate per second', () => {
    expect(formatRate(120_000_000)).toBe('120 MB/s');
  });
});

describe('formatEta', () => {
  it('prints m:ss under an hour and h:mm:ss from one hour', () => {
    expect(formatEta(12)).toBe('0:12');
    expect(formatEta(9.2)).toBe('0:10');
    expect(formatEta(75)).toBe('1:15');
    expect(formatEta(3_600)).toBe('1:00:00');
    expect(formatEta(3_725)).toBe('1:02:05');
  });
  it('is undefined when the time left cannot be known', () => {
    expect(formatEta(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(formatEta(-1)).toBeUndefined();
  });
});

describe('formatUptime', () => {
  it('prints h:mm:ss and lets hours pass 24', () => {
    expect(formatUptime(0)).toBe('0:00:00');
    expect(formatUptime(59_999)).toBe('0:00:59');
    expect(formatUptime(3_723_000)).toBe('1:02:03');
    expect(formatUptime(90_000_000)).toBe('25:00:00');
  });
});

describe('fractions', () => {
  it('floors the percentage so 100% means done', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.437)).toBe('43%');
    expect(formatPercent(0.999)).toBe('99%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(1.7)).toBe('100%');
  });
  it('clamps unknown values to zero', () => {
    expect(clampFraction(Number.NaN)).toBe(0);
    expect(clampFraction(-0.2)).toBe(0);
  });
  it('knows a fraction only once the total is known', () => {
    expect(progressFraction({ completed: 5, total: 0 })).toBeUndefined();
    expect(progressFraction(undefined)).toBeUndefined();
    expect(progressFraction({ completed: 25, total: 100 })).toBe(0.25);
  });
  it('estimates seconds left from the remaining bytes and the rate', () => {
    expect(etaSeconds({ completed: 40, total: 100, bytesPerSecond: 20 })).toBe(3);
    expect(etaSeconds({ completed: 40, total: 100, bytesPerSecond: 0 })).toBeUndefined();
  });
});

describe('sanitizeText', () => {
  it('removes escape sequences and control characters from outside text', () => {
    expect(sanitizeText('\u001b[31mred\u001b[0m \u001b]0;title\u0007ok\u0000')).toBe('red ok');
    expect(sanitizeText('a\tb\r\nc')).toBe('a b / c');
  });
});

describe('shouldUseColor', () => {
  it('never colours when NO_COLOR is set, even on a TTY or with FORCE_COLOR', () => {
    expect(shouldUseColor({ env: { NO_COLOR: '1' }, isTTY: true })).toBe(false);
    expect(shouldUseColor({ env: { NO_COLOR: '1', FORCE_COLOR: '1' }, isTTY: true })).toBe(false);
  });
  it('ignores an empty NO_COLOR, as no-color.org says', () => {
    expect(shouldUseColor({ env: { NO_COLOR: '' }, isTTY: true })).toBe(true);
  });
  it('colours a TTY, not a pipe, unless FORCE_COLOR says otherwise', () => {
    expect(shouldUseColor({ env: {}, isTTY: true })).toBe(true);
    expect(shouldUseColor({ env: {}, isTTY: false })).toBe(false);
    expect(shouldUseColor({ env: { FORCE_COLOR: '1' }, isTTY: false })).toBe(true);
    expect(shouldUseColor({ env: { FORCE_COLOR: '0' }, isTTY: true })).toBe(false);
    expect(shouldUseColor({ env: { TERM: 'dumb' }, isTTY: true })).toBe(false);
  });
});

describe('packFields', () => {
  it('wraps by whole fields and never splits one', () => {
    expect(packFields(['aaa', 'bb', 'cccc'], 7, '  ')).toEqual(['aaa  bb', 'cccc']);
    expect(packFields(['toolongfield', 'x'], 5, '  ')).toEqual(['toolongfield', 'x']);
    expect(packFields([], 10)).toEqual([]);
  });
});
