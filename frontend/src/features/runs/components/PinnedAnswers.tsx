import { useState } from "react";
import type { PinnedExampleOut } from "../../../client/types.gen";

/** The answer an example had at `step`: the latest one recorded at or before it. */
function answerAt(example: PinnedExampleOut, step: number): string | null {
  let answer: string | null = null;
  for (const a of example.answers) if (a.step <= step) answer = a.answer;
  return answer;
}

/** Steps at which the example's answer differed from the one before. */
function changedSteps(example: PinnedExampleOut): number[] {
  return example.answers.filter((a, i) => i > 0 && a.answer !== example.answers[i - 1]?.answer).map((a) => a.step);
}

/** Pinned validation examples answered at every evaluation: scrub through the steps to watch the answers change. */
export function PinnedAnswers({ examples }: { examples: PinnedExampleOut[] }) {
  const steps = [...new Set(examples.flatMap((e) => e.answers.map((a) => a.step)))].sort((a, b) => a - b);
  const [chosen, setChosen] = useState<number | null>(null);
  const index = chosen === null ? steps.length - 1 : Math.min(chosen, steps.length - 1);
  const step = steps[index] ?? 0;
  return (
    <div className="pinned-answers" data-testid="pinned-answers">
      <label className="small pinned-step">
        Step <strong data-testid="pinned-step-label">{step === 0 ? "0 (base model)" : step}</strong>
        <input
          type="range"
          min={0}
          max={Math.max(0, steps.length - 1)}
          value={index}
          onChange={(event) => setChosen(Number(event.target.value))}
          aria-label="Evaluation step"
          data-testid="pinned-step"
        />
      </label>
      {examples.map((example) => {
        const changed = changedSteps(example);
        const answer = answerAt(example, step);
        return (
          <div key={example.example_id} className="pinned-example" data-testid="pinned-example">
            <div className="small" title={example.prompt}>
              <strong>{example.prompt.length > 140 ? `${example.prompt.slice(0, 140)}…` : example.prompt}</strong>
            </div>
            <div className="small muted">Expected: {example.expected}</div>
            <div className="mono-text text-cell" data-testid="pinned-answer">
              {answer === null ? <span className="muted">(not answered yet)</span> : answer || "(empty answer)"}
            </div>
            <div className="small muted">
              {changed.length === 0
                ? "unchanged since step 0"
                : `changed at step${changed.length > 1 ? "s" : ""} ${changed
                    .map((s) => (s === step ? `[${s}]` : String(s)))
                    .join(", ")}`}
            </div>
          </div>
        );
      })}
    </div>
  );
}
