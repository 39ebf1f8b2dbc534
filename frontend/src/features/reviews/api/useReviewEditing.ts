import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import type { ReviewOut } from "../../../client/types.gen";
import { ApiError } from "../../../lib/api";
import { reviewQueries, useDeleteReview, useSaveReview, type ReviewChange } from "./queries";

/** What the reviewer set on one example and the server does not have yet (all of it until there is a verdict). */
export type Unsaved = Partial<ReviewChange>;

type UndoEntry = {
  exampleId: number;
  /** The review before the change (null: there was none); undo puts it back. */
  before: ReviewOut | null;
  /** The text field changed, if that is what changed: a run of saves while typing in it is one step. */
  typed: string | null;
};

export type SaveState =
  | { kind: "idle" }
  | { kind: "saving" }
  | { kind: "saved" }
  | { kind: "conflict"; exampleId: number }
  | { kind: "error"; error: unknown };

const TEXT_FIELDS = ["note", "corrected_answer"];

function fieldsOf(review: ReviewOut | null): Unsaved {
  if (!review) return {};
  const { verdict, score, tags, note, corrected_answer } = review;
  return { verdict, score, tags, note, corrected_answer };
}

/**
 * Autosave of the caller's reviews of one evaluation. Every change goes out in order, one request at a time, each
 * built when its turn comes from the latest saved review (its version and the fields not changed), so a quick
 * series of keys never conflicts with itself; a 409 (another tab or session changed the review) reloads the
 * reviews and reports the conflict. `undo` puts the example's previous review back (or deletes a first one).
 * `reloads` counts the reloads (after a conflict or an undo): forms keyed by it start again from what the server has.
 */
export function useReviewEditing(evaluationId: number) {
  const queryClient = useQueryClient();
  const save = useSaveReview(evaluationId);
  const remove = useDeleteReview(evaluationId);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const unsavedRef = useRef(new Map<number, Unsaved>());
  const [unsaved, setUnsaved] = useState<ReadonlyMap<number, Unsaved>>(new Map());
  const undoStack = useRef<UndoEntry[]>([]);
  const [state, setState] = useState<SaveState>({ kind: "idle" });
  const [reloads, setReloads] = useState(0);

  const publish = useCallback(() => setUnsaved(new Map(unsavedRef.current)), []);
  const stored = useCallback(
    (exampleId: number): ReviewOut | null =>
      queryClient.getQueryData(reviewQueries.mine(evaluationId).queryKey)?.find((r) => r.example_id === exampleId) ??
      null,
    [queryClient, evaluationId],
  );

  const enqueue = useCallback(
    (exampleId: number, task: () => Promise<void>) => {
      setState({ kind: "saving" });
      queue.current = queue.current
        .then(task)
        .then(
          () => setState((s) => (s.kind === "saving" ? { kind: "saved" } : s)),
          async (error: unknown) => {
            unsavedRef.current.delete(exampleId);
            publish();
            if (error instanceof ApiError && error.status === 409) {
              setState({ kind: "conflict", exampleId });
              await queryClient.invalidateQueries({ queryKey: reviewQueries.mine(evaluationId).queryKey });
              setReloads((n) => n + 1);
            } else {
              setState({ kind: "error", error });
            }
          },
        );
    },
    [queryClient, evaluationId, publish],
  );

  /** Apply `patch` to the example's review and save it (kept unsaved until the review has a verdict). */
  const change = useCallback(
    (exampleId: number, patch: Unsaved) => {
      unsavedRef.current.set(exampleId, { ...unsavedRef.current.get(exampleId), ...patch });
      publish();
      enqueue(exampleId, async () => {
        const before = stored(exampleId);
        const wanted = { ...fieldsOf(before), ...unsavedRef.current.get(exampleId) };
        const { verdict } = wanted;
        if (!verdict) return;
        const sent = unsavedRef.current.get(exampleId);
        await save.mutateAsync({
          example_id: exampleId,
          verdict,
          score: wanted.score ?? null,
          tags: wanted.tags ?? [],
          note: wanted.note ?? "",
          corrected_answer: wanted.corrected_answer ?? null,
          version: before?.version ?? null,
        });
        // Only what this request carried is saved: a change made meanwhile stays unsaved for the next one.
        if (unsavedRef.current.get(exampleId) === sent) unsavedRef.current.delete(exampleId);
        publish();
        const keys = Object.keys(patch);
        const typed = keys.length === 1 && TEXT_FIELDS.includes(keys[0] ?? "") ? (keys[0] ?? null) : null;
        const last = undoStack.current.at(-1);
        if (!(typed !== null && last?.exampleId === exampleId && last.typed === typed)) {
          undoStack.current.push({ exampleId, before, typed });
        }
      });
    },
    [enqueue, publish, save, stored],
  );

  /** Undo the last change; resolves to the example it was on (to show it), or null when there is nothing. */
  const undo = useCallback(async (): Promise<number | null> => {
    // After the saves already on their way: a change is on the stack once saved, and "u" pressed while its save is
    // in flight must undo that change, not the one before it. (The queue never rejects: enqueue handles errors.)
    await queue.current;
    const entry = undoStack.current.pop();
    if (!entry) return null;
    const { exampleId, before } = entry;
    unsavedRef.current.delete(exampleId);
    publish();
    enqueue(exampleId, async () => {
      const now = stored(exampleId);
      if (before === null) {
        if (now) await remove.mutateAsync({ exampleId, version: now.version });
        return;
      }
      await save.mutateAsync({
        example_id: exampleId,
        verdict: before.verdict,
        score: before.score,
        tags: before.tags,
        note: before.note,
        corrected_answer: before.corrected_answer,
        version: now?.version ?? null,
      });
    });
    // The example's form starts again from the review put back.
    queue.current = queue.current.then(() => setReloads((n) => n + 1));
    return exampleId;
  }, [enqueue, publish, remove, save, stored]);

  return { change, undo, unsaved, state, reloads };
}
