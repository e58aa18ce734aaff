/** "Did you mean …?" for a misspelt name: the closest allowed value, when it is close enough to be a typo. */
import { distance } from 'fastest-levenshtein';

/** The allowed value nearest to `value`, or undefined when none is within a third of its length (at least 2 edits). */
export function nearest(value: string, allowed: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const v = value.toLowerCase();
  for (const a of allowed) {
    const d = distance(v, a.toLowerCase());
    if (d < bestDistance) {
      best = a;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance > 0 && bestDistance <= Math.max(2, Math.floor(value.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)`, or the empty string. */
export function didYouMean(value: string, allowed: Iterable<string>): string {
  const n = nearest(value, allowed);
  return n === undefined ? '' : ` (did you mean "${n}"?)`;
}

/** `a, b, c` — at most `max` names, then how many more. */
export function listNames(names: readonly string[], max = 20): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} … and ${names.length - max} more`;
}
