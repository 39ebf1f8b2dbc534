import type { QuestionOut } from "../../../client/types.gen";
import { LETTERS } from "../format";

/** Each question with its choices lettered; the right one marked. */
export function QuestionsTable({ questions }: { questions: QuestionOut[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="questions-table">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Subject</th>
            <th>Question</th>
            <th>Choices</th>
          </tr>
        </thead>
        <tbody>
          {questions.map((question) => (
            <tr key={question.id} data-testid="question-row">
              <td className="num muted" title={`line/row ${question.row_number} of the file`}>
                {question.number}
              </td>
              <td className="muted small">{question.subject ?? "—"}</td>
              <td className="mc-question">{question.question}</td>
              <td>
                <ol className="mc-choices">
                  {question.choices.map((choice, index) => (
                    <li
                      key={index}
                      className={index === question.answer ? "mc-choice mc-choice-right" : "mc-choice"}
                      data-testid={index === question.answer ? "right-choice" : undefined}
                    >
                      <span className="mc-letter mono">{LETTERS[index]}</span> {choice}
                    </li>
                  ))}
                </ol>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
