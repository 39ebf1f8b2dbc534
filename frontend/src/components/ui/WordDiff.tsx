import { useMemo } from "react";
import { wordDiff } from "../../lib/wordDiff";

/** The answer against the expected text, word by word: extra words underlined green, missing ones struck red. */
export function WordDiff({ expected, answer }: { expected: string; answer: string }) {
  const parts = useMemo(() => wordDiff(expected, answer), [expected, answer]);
  if (answer.trim() === "") return <span className="muted">(empty answer)</span>;
  if (parts === null) {
    return (
      <div className="text-cell mono-text" dir="auto">
        {answer}
      </div>
    );
  }
  return (
    <div className="text-cell mono-text eval-diff" dir="auto" data-testid="answer-diff">
      {parts.map((part, index) => {
        const space = index > 0 ? " " : "";
        if (part.kind === "same") return <span key={index}>{space + part.text}</span>;
        if (part.kind === "inserted") {
          return (
            <span key={index}>
              {space}
              <ins className="eval-diff-inserted" title="not in the expected answer">
                {part.text}
              </ins>
            </span>
          );
        }
        return (
          <span key={index}>
            {space}
            <del className="eval-diff-missing" title="expected, but missing from the answer">
              {part.text}
            </del>
          </span>
        );
      })}
    </div>
  );
}
