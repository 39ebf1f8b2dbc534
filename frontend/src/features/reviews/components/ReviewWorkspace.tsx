import { useQuery } from "@tanstack/react-query";
import { useMemo, useRef, useState } from "react";
import type { EvaluationPredictionOut, ReviewOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { FilterSelect } from "../../../components/ui/FilterSelect";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { EmptyState, Loading } from "../../../components/ui/States";
import { predictionsQuery } from "../../../lib/evaluations";
import { focusElement } from "../../../lib/focusField";
import { reviewQueries } from "../api/queries";
import { useReviewEditing, type SaveState, type Unsaved } from "../api/useReviewEditing";
import { NO_FILTER, SHOW_OPTIONS, visibleExamples, type ExampleFilter, type Show } from "../filters";
import { FIELD_IDS, metricLabel, SUGGESTED_TAGS, VERDICTS } from "../format";
import { useShortcuts } from "../keys";
import { ExampleView } from "./ExampleView";
import { ReviewForm } from "./ReviewForm";
import { KeyHelp, type KeyBinding } from "./KeyHelp";

const BINDINGS: KeyBinding[] = [
  { keys: ["1"], does: "Correct" },
  { keys: ["2"], does: "Partly correct" },
  { keys: ["3"], does: "Wrong" },
  { keys: ["j", "→"], does: "Next example" },
  { keys: ["k", "←"], does: "Previous example" },
  { keys: ["s"], does: "Score: then 1 to 5 (Escape leaves it)" },
  { keys: ["t"], does: "Add a tag (Enter adds it)" },
  { keys: ["n"], does: "Write a note" },
  { keys: ["e"], does: "Edit the corrected answer" },
  { keys: ["d"], does: "Word diff against the expected answer, on or off" },
  { keys: ["u"], does: "Undo the last change" },
  { keys: ["/"], does: "Search" },
  { keys: ["?"], does: "This list" },
];

function SaveStatus({
  state,
  exampleId,
  needsVerdict,
}: {
  state: SaveState;
  exampleId: number;
  needsVerdict: boolean;
}) {
  let text = "";
  if (needsVerdict) text = "Not saved yet: pick a verdict (1, 2 or 3).";
  else if (state.kind === "saving") text = "Saving…";
  else if (state.kind === "saved") text = "Saved";
  else if (state.kind === "conflict" && state.exampleId === exampleId) text = "Someone else changed this review: it was reloaded. Check it and try again.";
  return (
    <div className="review-save-status small" role="status" aria-live="polite" data-testid="review-save-status">
      {state.kind === "error" ? <ErrorNotice error={state.error} title="Could not save the review" /> : text}
    </div>
  );
}

function Filters({
  filter,
  onChange,
  tags,
  metrics,
}: {
  filter: ExampleFilter;
  onChange: (filter: ExampleFilter) => void;
  tags: string[];
  metrics: string[];
}) {
  return (
    <div className="review-filters" data-testid="review-filters">
      <FilterSelect
        label="Show"
        labelShown
        className="review-filter"
        value={filter.show}
        onChange={(show) => onChange({ ...filter, show: show as Show })}
        options={SHOW_OPTIONS}
        testId="review-filter-show"
      />
      <FilterSelect
        label="Tag"
        labelShown
        className="review-filter"
        anyLabel="any"
        value={filter.tag}
        onChange={(tag) => onChange({ ...filter, tag })}
        options={tags.map((tag) => ({ value: tag, label: tag }))}
        testId="review-filter-tag"
      />
      <FilterSelect
        label="Order"
        labelShown
        className="review-filter"
        anyLabel="as evaluated"
        value={filter.lowestFirst}
        onChange={(lowestFirst) => onChange({ ...filter, lowestFirst })}
        options={metrics.map((name) => ({ value: name, label: `lowest ${metricLabel(name)} first` }))}
        testId="review-filter-order"
      />
      <input
        id="review-search"
        type="search"
        className="input review-search"
        placeholder="Search (/)"
        aria-label="Search instructions, answers and notes"
        value={filter.search}
        onChange={(event) => onChange({ ...filter, search: event.target.value })}
        data-testid="review-search"
      />
    </div>
  );
}

/**
 * The review page's working part: one example at a time with the reviewer's review beside it, the filters, the
 * counter and the keys. Reviews are the signed-in reviewer's own; every change is saved as it is made.
 */
export function ReviewWorkspace({
  evaluationId,
  predictions,
  reviews,
}: {
  evaluationId: number;
  predictions: EvaluationPredictionOut[];
  reviews: ReviewOut[];
}) {
  const editing = useReviewEditing(evaluationId);
  const [filter, setFilter] = useState<ExampleFilter>(NO_FILTER);
  const [currentId, setCurrentId] = useState<number | null>(predictions[0]?.example_id ?? null);
  const [diff, setDiff] = useState(false);
  const help = useRef<HTMLDialogElement>(null);

  const byExample = useMemo(() => new Map(reviews.map((r) => [r.example_id, r])), [reviews]);
  const visible = useMemo(
    () => visibleExamples(predictions, byExample, filter, currentId),
    [predictions, byExample, filter, currentId],
  );
  const index = visible.findIndex((p) => p.example_id === currentId);
  const prediction = index >= 0 ? visible[index] : visible[0];
  const exampleId = prediction?.example_id ?? null;
  const stored = exampleId === null ? undefined : byExample.get(exampleId);
  const unsaved = exampleId === null ? undefined : editing.unsaved.get(exampleId);
  const shown: Unsaved = { ...stored, ...unsaved };
  const usedTags = useMemo(() => [...new Set(reviews.flatMap((r) => r.tags))].sort(), [reviews]);
  const suggestions = [...new Set([...SUGGESTED_TAGS, ...usedTags])];
  const metrics = useMemo(
    () => [...new Set(predictions.flatMap((p) => Object.keys(p.scores)))].filter((m) => m !== "answer_length"),
    [predictions],
  );

  const move = (step: number) => {
    const position = index >= 0 ? index : 0;
    const next = visible[Math.min(visible.length - 1, Math.max(0, position + step))];
    if (next) setCurrentId(next.example_id);
  };
  const scoreFocused = () => document.activeElement?.closest(`#${FIELD_IDS.score}`) != null;

  useShortcuts((key) => {
    if (key === "?") {
      help.current?.showModal();
      return true;
    }
    if (key === "/") {
      focusElement("review-search");
      return true;
    }
    if (key === "j" || key === "ArrowRight") {
      move(1);
      return true;
    }
    if (key === "k" || key === "ArrowLeft") {
      move(-1);
      return true;
    }
    if (key === "u") {
      void editing.undo().then((undone) => {
        if (undone !== null) setCurrentId(undone);
      });
      return true;
    }
    if (exampleId === null) return false;
    if (scoreFocused() && key === "Escape") {
      (document.activeElement as HTMLElement).blur();
      return true;
    }
    if (scoreFocused() && ["1", "2", "3", "4", "5"].includes(key)) {
      editing.change(exampleId, { score: Number(key) });
      return true;
    }
    const verdict = VERDICTS.find((v) => v.key === key);
    if (verdict) {
      editing.change(exampleId, { verdict: verdict.value });
      return true;
    }
    const field = { t: FIELD_IDS.tag, n: FIELD_IDS.note, e: FIELD_IDS.corrected }[key];
    if (field) {
      focusElement(field);
      return true;
    }
    if (key === "s") {
      document.querySelector<HTMLButtonElement>(`#${FIELD_IDS.score} button`)?.focus();
      return true;
    }
    if (key === "d") {
      setDiff(!diff);
      return true;
    }
    return false;
  });

  const mine = reviews.length;
  return (
    <>
      <div className="review-bar">
        <div className="review-progress">
          <span className="review-counter" data-testid="review-counter">
            {mine} of {predictions.length} reviewed
          </span>
          <progress max={predictions.length} value={mine} aria-label="Your reviews so far" />
          <button
            type="button"
            className="btn btn-sm"
            onClick={() => help.current?.showModal()}
            aria-keyshortcuts="?"
            data-testid="key-help-open"
          >
            Keys <kbd>?</kbd>
          </button>
        </div>
        <Filters filter={filter} onChange={setFilter} tags={usedTags} metrics={metrics} />
      </div>
      {prediction === undefined ? (
        <Card>
          <EmptyState title="No example matches">Change the filter or the search.</EmptyState>
        </Card>
      ) : (
        <div className="review-layout">
          <Card
            className="review-example-card"
            title={
              <span data-testid="review-position">
                Example {index >= 0 ? index + 1 : 1} of {visible.length}
                <span className="muted small"> · #{prediction.example_id}</span>
              </span>
            }
            actions={
              <>
                <label className="toggle small">
                  <input
                    type="checkbox"
                    checked={diff}
                    onChange={(event) => setDiff(event.target.checked)}
                    data-testid="review-diff-toggle"
                  />
                  Word diff <kbd>d</kbd>
                </label>
                <div className="review-nav">
                  <button
                    type="button"
                    className="btn btn-sm"
                    onClick={() => move(-1)}
                    disabled={index <= 0}
                    aria-keyshortcuts="k ArrowLeft"
                  >
                    ← Previous
                  </button>
                  <button
                    type="button"
                    className="btn btn-sm"
                    onClick={() => move(1)}
                    disabled={index >= visible.length - 1}
                    aria-keyshortcuts="j ArrowRight"
                  >
                    Next →
                  </button>
                </div>
              </>
            }
          >
            <ExampleView prediction={prediction} diff={diff} />
          </Card>
          <Card className="review-panel" title="Your review" testId="review-panel">
            <ReviewForm
              key={`${prediction.example_id}-${editing.reloads}`}
              review={shown}
              answer={prediction.generated}
              suggestions={suggestions}
              onChange={(patch) => editing.change(prediction.example_id, patch)}
            />
            <SaveStatus
              state={editing.state}
              exampleId={prediction.example_id}
              needsVerdict={!shown.verdict && unsaved !== undefined && Object.keys(unsaved).length > 0}
            />
          </Card>
        </div>
      )}
      <KeyHelp ref={help} bindings={BINDINGS} title="Review keys" />
    </>
  );
}

/** The data the workspace needs, loaded: the evaluation's answers and the caller's reviews of them. */
export function ReviewSession({ evaluationId }: { evaluationId: number }) {
  const predictions = useQuery(predictionsQuery(evaluationId));
  const mine = useQuery(reviewQueries.mine(evaluationId));
  if (predictions.isPending || mine.isPending) return <Loading />;
  if (predictions.isError) return <ErrorNotice error={predictions.error} title="Could not load the answers" />;
  if (mine.isError) return <ErrorNotice error={mine.error} title="Could not load your reviews" />;
  if (predictions.data.items.length === 0) return <EmptyState title="This evaluation has no answers" />;
  return <ReviewWorkspace evaluationId={evaluationId} predictions={predictions.data.items} reviews={mine.data} />;
}
