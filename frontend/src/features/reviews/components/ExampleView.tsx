import type { EvaluationPredictionOut } from "../../../client/types.gen";
import { WordDiff } from "../../../components/ui/WordDiff";
import { metricLabel } from "../format";

function formatValue(value: number | null | undefined, name: string): string {
  if (value === null || value === undefined) return "—";
  return name === "answer_length" ? value.toFixed(0) : value.toFixed(2);
}

/** A labelled block of text from the data or the model: shown as text, wrapped, in its own direction. */
function TextBlock({ label, text, testId, mono = false }: { label: string; text: string; testId: string; mono?: boolean }) {
  return (
    <div className="review-block">
      <div className="review-block-label">{label}</div>
      {text.trim() === "" ? (
        <div className="muted small">(empty)</div>
      ) : (
        <div className={mono ? "review-text mono-text" : "review-text"} dir="auto" data-testid={testId}>
          {text}
        </div>
      )}
    </div>
  );
}

/**
 * One example as the reviewer reads it: the instruction, the input, the expected answer and the model's answer
 * (word by word against the expected one when `diff` is on), then the metrics and the judge folded away.
 */
export function ExampleView({ prediction, diff }: { prediction: EvaluationPredictionOut; diff: boolean }) {
  const metrics = Object.entries(prediction.scores);
  const judged = prediction.judge_explanation ?? prediction.not_judged_reason;
  return (
    <div className="review-example" data-testid="review-example" data-example={prediction.example_id}>
      <TextBlock label="Instruction" text={prediction.instruction} testId="review-instruction" />
      {prediction.input.trim() !== "" ? (
        <TextBlock label="Input" text={prediction.input} testId="review-input" mono />
      ) : null}
      <TextBlock label="Expected answer" text={prediction.expected} testId="review-expected" mono />
      <div className="review-block review-answer">
        <div className="review-block-label">
          Model’s answer{diff ? <span className="muted"> · against the expected one</span> : null}
        </div>
        {diff ? (
          <WordDiff expected={prediction.expected} answer={prediction.generated} />
        ) : prediction.generated.trim() === "" ? (
          <div className="muted small">(empty answer)</div>
        ) : (
          <div className="review-text mono-text" dir="auto" data-testid="review-answer">
            {prediction.generated}
          </div>
        )}
      </div>
      <details className="review-details" data-testid="review-metrics">
        <summary>
          Metrics{judged || prediction.scores.judge_score != null ? " and the judge" : ""}
        </summary>
        <dl className="review-metrics">
          {metrics.map(([name, value]) => (
            <div key={name}>
              <dt>{metricLabel(name)}</dt>
              <dd className="mono">{formatValue(value, name)}</dd>
            </div>
          ))}
        </dl>
        {prediction.judge_explanation ? (
          <TextBlock label="The judge’s explanation" text={prediction.judge_explanation} testId="review-judge" />
        ) : null}
        {prediction.not_judged_reason ? (
          <TextBlock label="Not judged" text={prediction.not_judged_reason} testId="review-not-judged" />
        ) : null}
      </details>
    </div>
  );
}
