import { useState } from "react";
import type { PredictionOut } from "../../../client/types.gen";
import { Toggle } from "../../../components/ui/Toggle";

function Answer({ text, missing }: { text: string | null; missing: string }) {
  if (text === null) return <span className="muted">{missing}</span>;
  if (text.trim() === "") return <span className="muted">(empty answer)</span>;
  return <div className="text-cell mono-text">{text}</div>;
}

/** Held-out examples side by side: what was expected, what the fine-tuned model and the base model said. */
export function PredictionsTable({ predictions }: { predictions: PredictionOut[] }) {
  const [showPrompt, setShowPrompt] = useState(true);
  const hasBase = predictions.some((p) => p.base_generated !== null);
  return (
    <div className="predictions">
      <div className="table-toolbar">
        <span className="muted">
          {predictions.length} held-out {predictions.length === 1 ? "example" : "examples"}
          {hasBase ? "" : " · base-model answers were not generated"}
        </span>
        <Toggle checked={showPrompt} onChange={setShowPrompt} testId="toggle-prompt">
          Show prompt
        </Toggle>
      </div>
      <div className="table-wrap">
        <table className="table table-text table-predictions" data-testid="predictions-table">
          <thead>
            <tr>
              {showPrompt ? <th>Prompt</th> : null}
              <th>Expected</th>
              <th>Fine-tuned answer</th>
              <th>Base model answer</th>
            </tr>
          </thead>
          <tbody>
            {predictions.map((prediction) => (
              <tr key={prediction.id} data-testid="prediction-row">
                {showPrompt ? (
                  <td className="cell-prompt">
                    <div className="text-cell mono-text">{prediction.prompt}</div>
                  </td>
                ) : null}
                <td className="cell-expected">
                  <Answer text={prediction.expected} missing="—" />
                </td>
                <td className="cell-tuned">
                  <Answer text={prediction.generated} missing="—" />
                </td>
                <td className="cell-base">
                  <Answer text={prediction.base_generated} missing="not generated" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
