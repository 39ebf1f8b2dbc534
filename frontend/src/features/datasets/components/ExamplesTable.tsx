import type { ExampleOut } from "../../../client/types.gen";

export function SplitTag({ split }: { split: string }) {
  return <span className={`tag tag-split tag-${split}`}>{split}</span>;
}

type Turn = { role: string; content: string };

/** Every shape as turns: what the model reads, then the answer it is trained to give. */
function turnsOf(record: ExampleOut["record"]): { context: Turn[]; answer: string } {
  if (record.shape === "chat") {
    const messages = record.messages;
    const last = messages.length - 1;
    return { context: messages.slice(0, last), answer: messages[last]?.content ?? "" };
  }
  if (record.shape === "prompt_completion") {
    return { context: [{ role: "prompt", content: record.prompt }], answer: record.completion };
  }
  const context = [{ role: "instruction", content: record.instruction }];
  if (record.input) context.push({ role: "input", content: record.input });
  return { context, answer: record.output };
}

export function ExamplesTable({ examples }: { examples: ExampleOut[] }) {
  return (
    <div className="table-wrap">
      <table className="table table-text" data-testid="examples-table">
        <colgroup>
          <col style={{ width: "4.5rem" }} />
          <col style={{ width: "7rem" }} />
          <col />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th className="num">Row</th>
            <th>Split</th>
            <th>Prompt</th>
            <th>Answer</th>
          </tr>
        </thead>
        <tbody>
          {examples.map((example) => {
            const { context, answer } = turnsOf(example.record);
            return (
              <tr key={example.id} data-testid="example-row">
                <td className="num muted">{example.row_number}</td>
                <td>
                  <SplitTag split={example.split} />
                  {example.label ? <div className="muted">{example.label}</div> : null}
                </td>
                <td>
                  {context.map((turn, index) => (
                    <div className="text-cell" key={index}>
                      <span className="muted">{turn.role}: </span>
                      {turn.content}
                    </div>
                  ))}
                </td>
                <td>
                  <div className="text-cell">{answer}</div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
