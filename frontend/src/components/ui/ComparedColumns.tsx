import { Link } from "react-router";

/** A compared run as a table column: its colour (the one its curves have), its name linking to its page. */
export type ComparedColumn = { id: number; name: string; color: string };

/** The header row of a table with a column per compared run; `first` heads the row names' column. */
export function ComparedHeader({ columns, first }: { columns: readonly ComparedColumn[]; first: string }) {
  return (
    <thead>
      <tr>
        <th>{first}</th>
        {columns.map((column) => (
          <th key={column.id} className="num compared-head">
            <span className="compared-swatch" style={{ background: `var(${column.color})` }} aria-hidden="true" />
            <Link to={`/runs/${column.id}`} title={column.name} data-testid="compared-run-link">
              {column.name}
            </Link>{" "}
            <span className="muted id-suffix">#{column.id}</span>
          </th>
        ))}
      </tr>
    </thead>
  );
}
