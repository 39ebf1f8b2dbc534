import { Fragment, type ReactNode } from "react";
import { Link } from "react-router";
import type { ExampleOut } from "../../../client/types.gen";
import { turnsOf } from "../records";

export function SplitTag({ split }: { split: string }) {
  return <span className={`tag tag-split tag-${split}`}>{split}</span>;
}

/** `text` with every case-insensitive occurrence of `query` marked. */
export function Highlight({ text, query }: { text: string; query: string }): ReactNode {
  const needle = query.trim().toLowerCase();
  if (!needle) return text;
  const parts: ReactNode[] = [];
  const haystack = text.toLowerCase();
  let from = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, from)) {
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return parts.map((part, index) => <Fragment key={index}>{part}</Fragment>);
}

export function ExamplesTable({
  examples,
  query = "",
  previewHref,
  highlightRow = null,
}: {
  examples: ExampleOut[];
  query?: string;
  /** Where "tokens" links to for an example (the token preview). */
  previewHref?: (example: ExampleOut) => string;
  highlightRow?: number | null;
}) {
  return (
    <div className="table-wrap">
      <table className="table table-text" data-testid="examples-table">
        <colgroup>
          <col style={{ width: "4.5rem" }} />
          <col style={{ width: "7rem" }} />
          <col />
          <col />
          {previewHref ? <col style={{ width: "5.5rem" }} /> : null}
        </colgroup>
        <thead>
          <tr>
            <th className="num">Row</th>
            <th>Split</th>
            <th>Prompt</th>
            <th>Answer</th>
            {previewHref ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {examples.map((example) => {
            const { context, answer } = turnsOf(example.record);
            return (
              <tr
                key={example.id}
                data-testid="example-row"
                data-row={example.row_number}
                className={highlightRow === example.row_number ? "row-highlight" : undefined}
              >
                <td className="num muted">{example.row_number}</td>
                <td>
                  <SplitTag split={example.split} />
                  {example.label ? (
                    <div className="muted small" data-testid="example-label">
                      {example.label}
                    </div>
                  ) : null}
                </td>
                <td>
                  {context.map((turn, index) => (
                    <div className="text-cell" key={index}>
                      <span className="muted">{turn.role}: </span>
                      <Highlight text={turn.content} query={query} />
                    </div>
                  ))}
                </td>
                <td>
                  <div className="text-cell">
                    <Highlight text={answer} query={query} />
                  </div>
                </td>
                {previewHref ? (
                  <td className="row-actions">
                    <Link
                      to={previewHref(example)}
                      className="btn btn-sm"
                      title="See the tokens the trainer gets from this example, and which are trained on"
                      data-testid="example-preview-link"
                    >
                      Tokens
                    </Link>
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
