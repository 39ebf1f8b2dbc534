import { useEffect, useRef, useState } from "react";
import type { Unsaved } from "../api/useReviewEditing";
import { FIELD_IDS, MAX_TAG_LENGTH, MAX_TAGS, VERDICTS } from "../format";

const SCORES = [1, 2, 3, 4, 5];

/**
 * A text area saved a moment after typing stops and when it loses focus (Escape, Tab). It starts from `value` and
 * then keeps what is typed: the form is re-created (keyed) when the example changes or the review is reloaded.
 */
function AutosavedText({
  id,
  label,
  hint,
  value,
  onSave,
  rows,
  mono = false,
  testId,
}: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onSave: (text: string) => void;
  rows: number;
  mono?: boolean;
  testId: string;
}) {
  const [text, setText] = useState(value);
  const saved = useRef(value);
  const save = useRef(onSave);
  useEffect(() => {
    save.current = onSave;
  });
  const flush = (current: string) => {
    if (current === saved.current) return;
    saved.current = current;
    save.current(current);
  };
  useEffect(() => {
    if (text === saved.current) return;
    const timer = window.setTimeout(() => {
      saved.current = text;
      save.current(text);
    }, 700);
    return () => window.clearTimeout(timer);
  }, [text]);
  return (
    <div className="review-field">
      <label htmlFor={id} className="review-label">
        {label} <kbd>{hint}</kbd>
      </label>
      <textarea
        id={id}
        className={mono ? "textarea mono-text" : "textarea"}
        dir="auto"
        rows={rows}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onBlur={() => flush(text)}
        data-testid={testId}
      />
    </div>
  );
}

function Tags({
  tags,
  suggestions,
  onChange,
}: {
  tags: string[];
  suggestions: string[];
  onChange: (tags: string[]) => void;
}) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const add = () => {
    const tag = text.trim();
    if (tag === "") return;
    if (tag.length > MAX_TAG_LENGTH) return setProblem(`A tag has at most ${MAX_TAG_LENGTH} characters.`);
    if (tags.length >= MAX_TAGS && !tags.includes(tag)) return setProblem(`At most ${MAX_TAGS} tags.`);
    setProblem(null);
    setText("");
    if (!tags.includes(tag)) onChange([...tags, tag]);
  };
  return (
    <div className="review-field">
      <label htmlFor={FIELD_IDS.tag} className="review-label">
        Tags <kbd>t</kbd>
      </label>
      {tags.length > 0 ? (
        <ul className="review-tags" aria-label="Tags of this review" data-testid="review-tags">
          {tags.map((tag) => (
            <li key={tag} className="review-tag" dir="auto">
              <span>{tag}</span>
              <button
                type="button"
                className="review-tag-remove"
                aria-label={`Remove tag ${tag}`}
                onClick={() => onChange(tags.filter((t) => t !== tag))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <input
        id={FIELD_IDS.tag}
        className="input"
        list="review-tag-suggestions"
        placeholder="hallucination, wrong format… (Enter adds)"
        value={text}
        maxLength={MAX_TAG_LENGTH + 1}
        aria-invalid={problem !== null}
        aria-describedby={problem ? "review-tag-problem" : undefined}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            add();
          }
        }}
        data-testid="review-tag-input"
      />
      <datalist id="review-tag-suggestions">
        {suggestions
          .filter((s) => !tags.includes(s))
          .map((s) => (
            <option key={s} value={s} />
          ))}
      </datalist>
      {problem ? (
        <div id="review-tag-problem" className="field-error small">
          {problem}
        </div>
      ) : null}
    </div>
  );
}

/**
 * The reviewer's verdict, score, tags, note and corrected answer for one example; every change is saved at once
 * (text a moment after typing stops). Keyed by example and reload by its owner.
 */
export function ReviewForm({
  review,
  answer,
  suggestions,
  onChange,
}: {
  /** What the reviewer has set, saved or not. */
  review: Unsaved;
  /** The model's answer: a corrected answer can start from it. */
  answer: string;
  suggestions: string[];
  onChange: (patch: Unsaved) => void;
}) {
  const [correctedKey, setCorrectedKey] = useState(0);
  const [corrected, setCorrected] = useState(review.corrected_answer ?? "");
  return (
    <div className="review-form" data-testid="review-form">
      <fieldset className="review-field review-fieldset">
        <legend className="review-label">Verdict</legend>
        <div className="review-verdicts" role="group" aria-label="Verdict" data-testid="review-verdict">
          {VERDICTS.map(({ value, label, key }) => (
            <button
              key={value}
              type="button"
              className={`review-verdict review-verdict-${value}`}
              aria-pressed={review.verdict === value}
              data-verdict={value}
              onClick={() => onChange({ verdict: value })}
            >
              <kbd>{key}</kbd> {label}
            </button>
          ))}
        </div>
      </fieldset>
      <fieldset className="review-field review-fieldset">
        <legend className="review-label">
          Score, optional <kbd>s</kbd> then <kbd>1</kbd>–<kbd>5</kbd>
        </legend>
        <div className="segmented review-scores" id={FIELD_IDS.score} role="group" aria-label="Score from 1 to 5">
          {SCORES.map((score) => (
            <button
              key={score}
              type="button"
              className={review.score === score ? "active" : undefined}
              aria-pressed={review.score === score}
              data-score={score}
              title={review.score === score ? "Remove the score" : undefined}
              onClick={() => onChange({ score: review.score === score ? null : score })}
            >
              {score}
            </button>
          ))}
        </div>
      </fieldset>
      <Tags tags={review.tags ?? []} suggestions={suggestions} onChange={(tags) => onChange({ tags })} />
      <AutosavedText
        id={FIELD_IDS.note}
        label="Note"
        hint="n"
        value={review.note ?? ""}
        rows={2}
        onSave={(note) => onChange({ note })}
        testId="review-note"
      />
      <AutosavedText
        key={correctedKey}
        id={FIELD_IDS.corrected}
        label="Corrected answer"
        hint="e"
        value={corrected}
        rows={4}
        mono
        onSave={(text) => {
          setCorrected(text);
          onChange({ corrected_answer: text.trim() === "" ? null : text });
        }}
        testId="review-corrected"
      />
      {corrected === "" && answer !== "" ? (
        <button
          type="button"
          className="link-button small review-start-from"
          onClick={() => {
            setCorrected(answer);
            setCorrectedKey((n) => n + 1);
            onChange({ corrected_answer: answer });
          }}
          data-testid="review-corrected-from-answer"
        >
          Start from the model’s answer
        </button>
      ) : null}
    </div>
  );
}
