// "Did you mean" for unknown keys and ids: the closest candidate by edit distance, if close enough.

/** Levenshtein distance (insert, delete, substitute each cost 1). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

// A third of the word (at least 2 edits) catches typos without suggesting unrelated keys.
/** The candidate closest to `input`, or undefined when none is plausibly what the user meant. */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(needle.length / 3));
  if (best !== undefined && bestDistance <= limit) return best;
  // A truncated key (`start_timeout` for `start_timeout_seconds`) is far in edits but obvious to a reader.
  return needle.length >= 4 ? candidates.find((c) => c.toLowerCase().startsWith(needle)) : undefined;
}

/** ` (did you mean 'x'?)` or the empty string. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const match = closestMatch(input, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
