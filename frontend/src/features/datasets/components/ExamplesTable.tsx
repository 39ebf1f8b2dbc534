import type { ExampleOut } from "../../../client/types.gen";

export function SplitTag({ split }: { split: string }) {
  return <span className={`tag tag-split tag-${split}`}>{split}</span>;
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
          <col />
        </colgroup>
        <thead>
          <tr>
            <th className="num">Row</th>
            <th>Split</th>
            <th>Instruction</th>
            <th>Input</th>
            <th>Output</th>
          </tr>
        </thead>
        <tbody>
          {examples.map((example) => (
            <tr key={example.id} data-testid="example-row">
              <td className="num muted">{example.row_number}</td>
              <td>
                <SplitTag split={example.split} />
              </td>
              <td>
                <div className="text-cell">{example.instruction}</div>
              </td>
              <td>
                {example.input ? <div className="text-cell">{example.input}</div> : <span className="muted">—</span>}
              </td>
              <td>
                <div className="text-cell">{example.output}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
