/** One run of words in a diff: in both texts, only in the answer (inserted), or only in the reference (missing). */
export type DiffPart = { kind: "same" | "inserted" | "missing"; text: string };

/** Above this many words on either side the O(n·m) table is not worth it: the answer is shown without a diff. */
export const MAX_DIFF_WORDS = 600;

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

function push(parts: DiffPart[], kind: DiffPart["kind"], word: string): void {
  const last = parts.at(-1);
  if (last?.kind === kind) last.text += ` ${word}`;
  else parts.push({ kind, text: word });
}

/**
 * A word-level diff of `answer` against `reference` through their longest common subsequence: the words the answer
 * adds are "inserted", the reference's words it lacks are "missing". Words compare case-sensitively, whitespace is
 * normalised to single spaces. Null when either side is longer than MAX_DIFF_WORDS.
 */
export function wordDiff(reference: string, answer: string): DiffPart[] | null {
  const a = words(reference);
  const b = words(answer);
  if (a.length > MAX_DIFF_WORDS || b.length > MAX_DIFF_WORDS) return null;
  // lcs[i][j]: the length of the LCS of a[i:] and b[j:], filled from the end so the walk below goes forward.
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    const row = lcs[i] ?? [];
    const next = lcs[i + 1] ?? [];
    for (let j = b.length - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? (next[j + 1] ?? 0) + 1 : Math.max(next[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const parts: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const wordA = a[i] ?? "";
    const wordB = b[j] ?? "";
    if (wordA === wordB) {
      push(parts, "same", wordA);
      i++;
      j++;
    } else if ((lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0)) {
      push(parts, "missing", wordA);
      i++;
    } else {
      push(parts, "inserted", wordB);
      j++;
    }
  }
  for (; i < a.length; i++) push(parts, "missing", a[i] ?? "");
  for (; j < b.length; j++) push(parts, "inserted", b[j] ?? "");
  return parts;
}
