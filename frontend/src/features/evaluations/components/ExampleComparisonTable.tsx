import { useMemo, useState } from "react";
import type { EvaluationPredictionOut } from "../../../client/types.gen";
import { useDebounced } from "../../../lib/useDebounced";
import { compactPrompt, formatScore, formatSigned, HEADLINE_METRIC, metricLabel } from "../format";
import { WordDiff } from "./WordDiff";

type Scores = Record<string, number | null>;

type Row = {
  exampleId: number;
  instruction: string;
  input: string;
  expected: string;
  answer: string;
  scores: Scores;
  /** The evaluation compared against: its answer and scores (null when viewing one evaluation alone). */
  other: { answer: string; scores: Scores } | null;
};

type Filter = "all" | "regressions" | "improvements" | "unchanged";
type SortKey = "change" | "score" | "other" | "example";

const FILTERS: { value: Filter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "regressions", label: "Regressions" },
  { value: "improvements", label: "Improvements" },
  { value: "unchanged", label: "Unchanged" },
];

const PAGE = 50;

/**
 * The viewed evaluation's answers, each joined with the compared one's answer to the same example (examples only one
 * of them answered are left out). The instruction and input are what a person wrote, not the rendered prompt.
 */
function joinRows(answers: EvaluationPredictionOut[], against: EvaluationPredictionOut[] | null): Row[] {
  const byExample = new Map((against ?? []).map((p) => [p.example_id, p]));
  return answers.flatMap((p) => {
    const other = byExample.get(p.example_id);
    if (against && !other) return [];
    return [
      {
        exampleId: p.example_id,
        instruction: p.instruction.trim() === "" && p.input.trim() === "" ? compactPrompt(p.prompt) : p.instruction,
        input: p.input,
        expected: p.expected,
        answer: p.generated,
        scores: p.scores,
        other: other ? { answer: other.generated, scores: other.scores } : null,
      },
    ];
  });
}

/** "fine-tuned" → "Fine-tuned"; "#12 base model" stays. */
function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function changeOf(row: Row, metric: string): number | null {
  const value = row.scores[metric];
  const before = row.other?.scores[metric];
  return value === null || value === undefined || before === null || before === undefined ? null : value - before;
}

function sortValue(row: Row, metric: string, key: SortKey): number {
  if (key === "example") return row.exampleId;
  const value = key === "change" ? changeOf(row, metric) : (key === "score" ? row.scores : row.other?.scores)?.[metric];
  return value ?? Number.NEGATIVE_INFINITY;
}

function Question({ instruction, input }: { instruction: string; input: string }) {
  const [open, setOpen] = useState(false);
  const text = input ? `${instruction}\n${input}` : instruction;
  const long = text.length > 120 || text.split("\n").length > 3;
  return (
    <div className="eval-prompt">
      <div className={open ? undefined : "eval-clamped"}>
        <div className="text-cell">{instruction}</div>
        {input ? (
          <div className="text-cell mono-text eval-input" data-testid="example-input">
            {input}
          </div>
        ) : null}
      </div>
      {long ? (
        <button type="button" className="link-button small" onClick={() => setOpen(!open)}>
          {open ? "Less" : "More"}
        </button>
      ) : null}
    </div>
  );
}

/** Every metric, the one the table follows first: "0.41 → 0.56" when compared, else the score. */
function ScoreList({ row, metrics, metric }: { row: Row; metrics: string[]; metric: string }) {
  const ordered = [metric, ...metrics.filter((name) => name !== metric)];
  return (
    <dl className="eval-scores">
      {ordered.map((name) => (
        <div key={name} className={name === metric ? "eval-score eval-score-chosen" : "eval-score"}>
          <dt>{metricLabel(name)}</dt>
          <dd className="mono">
            {row.other ? (
              <>
                {formatScore(row.other.scores[name], name)}
                <span className="muted"> → </span>
              </>
            ) : null}
            {formatScore(row.scores[name], name)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Change({ value, metric, neutral }: { value: number | null; metric: string; neutral: boolean }) {
  if (value === null) return <span className="muted">—</span>;
  const tone = value === 0 || neutral ? "same" : value > 0 ? "better" : "worse";
  return <span className={`delta delta-${tone}`}>{formatSigned(value, metric)}</span>;
}

/**
 * Every example the viewed evaluation answered: the instruction and input, the expected answer, the answer (diffed
 * word by word against the expected one) and, when compared, the other evaluation's answer, then every metric and
 * the change in the chosen one, which the filter and the default order follow. Everything is shown as text.
 */
export function ExampleComparisonTable({
  answers,
  against,
  labels,
  metrics,
  total,
}: {
  answers: EvaluationPredictionOut[];
  /** The compared evaluation's answers; null to show the viewed evaluation alone. */
  against: EvaluationPredictionOut[] | null;
  /** Column titles: the viewed evaluation's and the compared one's. */
  labels: { answer: string; other: string };
  /** The metrics, in the order the cards show them. */
  metrics: string[];
  /** How many examples the evaluations answered (more than the rows when above the page limit). */
  total: number;
}) {
  const rows = useMemo(() => joinRows(answers, against), [answers, against]);
  const compared = against !== null;
  const [metric, setMetric] = useState(metrics.includes(HEADLINE_METRIC) ? HEADLINE_METRIC : (metrics[0] ?? ""));
  const [sortKey, setSortKey] = useState<SortKey>(compared ? "change" : "score");
  const [ascending, setAscending] = useState(true);
  const [filter, setFilter] = useState<Filter>("all");
  const [search, setSearch] = useState("");
  const [shown, setShown] = useState(PAGE);
  const query = useDebounced(search.trim().toLowerCase(), 200);
  // answer_length: longer is neither better nor worse, so its changes are not coloured.
  const neutral = metric === "answer_length";
  const key: SortKey = compared || sortKey === "score" || sortKey === "example" ? sortKey : "score";

  const counts = useMemo(() => {
    const result = { all: rows.length, regressions: 0, improvements: 0, unchanged: 0 };
    for (const row of rows) {
      const change = changeOf(row, metric) ?? 0;
      if (change < 0) result.regressions++;
      else if (change > 0) result.improvements++;
      else result.unchanged++;
    }
    return result;
  }, [rows, metric]);

  const visible = useMemo(() => {
    const matching = rows.filter((row) => {
      const change = changeOf(row, metric) ?? 0;
      if (filter === "regressions" && !(change < 0)) return false;
      if (filter === "improvements" && !(change > 0)) return false;
      if (filter === "unchanged" && change !== 0) return false;
      if (!query) return true;
      return [row.instruction, row.input, row.expected, row.answer, row.other?.answer ?? ""].some((text) =>
        text.toLowerCase().includes(query),
      );
    });
    const direction = ascending ? 1 : -1;
    return matching.sort(
      (x, y) => direction * (sortValue(x, metric, key) - sortValue(y, metric, key)) || x.exampleId - y.exampleId,
    );
  }, [rows, metric, filter, query, key, ascending]);

  const sortBy = (next: SortKey) => {
    if (next === key) setAscending(!ascending);
    else {
      setSortKey(next);
      setAscending(next === "change" || next === "example");
    }
  };
  const arrow = (of: SortKey) => (of === key ? (ascending ? " ▲" : " ▼") : "");
  const ariaSort = (of: SortKey) => (of === key ? (ascending ? "ascending" : "descending") : undefined);
  const label = metricLabel(metric);

  return (
    <div className="eval-examples">
      <div className="table-toolbar eval-toolbar">
        {compared ? (
          <div className="segmented" role="group" aria-label="Show examples" data-testid="example-filter">
            {FILTERS.map(({ value, label: text }) => (
              <button
                key={value}
                type="button"
                className={filter === value ? "active" : undefined}
                aria-pressed={filter === value}
                data-filter={value}
                onClick={() => {
                  setFilter(value);
                  setShown(PAGE);
                }}
              >
                {text}
                <span className="count">{counts[value]}</span>
              </button>
            ))}
          </div>
        ) : null}
        <label className="eval-toolbar-field small">
          <span className="muted">{compared ? "in" : "metric"}</span>
          <select
            className="select eval-select"
            value={metric}
            onChange={(event) => setMetric(event.target.value)}
            data-testid="example-metric"
          >
            {metrics.map((name) => (
              <option key={name} value={name}>
                {metricLabel(name)}
              </option>
            ))}
          </select>
        </label>
        <input
          type="search"
          className="input eval-search"
          placeholder="Search instructions and answers"
          aria-label="Search instructions and answers"
          value={search}
          onChange={(event) => {
            setSearch(event.target.value);
            setShown(PAGE);
          }}
          data-testid="example-search"
        />
      </div>
      <div className="muted small eval-examples-note">
        {visible.length === rows.length ? `${rows.length} examples` : `${visible.length} of ${rows.length} examples`}
        {total > rows.length ? ` (the first ${rows.length} of ${total})` : ""}
        {compared ? ` · a change is ${labels.answer}'s score minus ${labels.other}'s` : ""} · against the expected
        answer, <ins className="eval-diff-inserted">extra words</ins> and{" "}
        <del className="eval-diff-missing">missing words</del> are marked
      </div>
      <div className="table-wrap">
        <table className={`table table-text eval-table${compared ? "" : " eval-table-single"}`} data-testid="example-table">
          <thead>
            <tr>
              <th className="eval-col-id" aria-sort={ariaSort("example")}>
                <button type="button" className="eval-sort" onClick={() => sortBy("example")}>
                  #{arrow("example")}
                </button>
              </th>
              <th className="eval-col-question">Instruction and input</th>
              <th>Expected</th>
              <th data-testid="answer-column">{capitalised(labels.answer)} answer</th>
              {compared ? <th data-testid="other-column">{capitalised(labels.other)} answer</th> : null}
              <th className="eval-col-scores" aria-sort={key === "score" || key === "other" ? ariaSort(key) : undefined}>
                Scores
                <div className="eval-th-sub">
                  {label}:{" "}
                  {compared ? (
                    <>
                      <button type="button" className="eval-sort" onClick={() => sortBy("other")} title={`sort by ${labels.other}'s score`}>
                        before{arrow("other")}
                      </button>
                      {" → "}
                    </>
                  ) : null}
                  <button
                    type="button"
                    className="eval-sort"
                    onClick={() => sortBy("score")}
                    title={`sort by ${labels.answer}'s score`}
                    data-testid="sort-score"
                  >
                    {compared ? "after" : "sort"}
                    {arrow("score")}
                  </button>
                </div>
              </th>
              {compared ? (
                <th className="eval-col-change" aria-sort={ariaSort("change")}>
                  <button type="button" className="eval-sort" onClick={() => sortBy("change")} data-testid="sort-change">
                    Change{arrow("change")}
                  </button>
                  <div className="eval-th-sub">{label}</div>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {visible.slice(0, shown).map((row) => (
              <tr key={row.exampleId} data-testid="example-row" data-example={row.exampleId}>
                <td className="mono muted">{row.exampleId}</td>
                <td>
                  <Question instruction={row.instruction} input={row.input} />
                </td>
                <td>
                  <div className="text-cell mono-text">{row.expected}</div>
                </td>
                <td data-testid="example-answer">
                  <WordDiff expected={row.expected} answer={row.answer} />
                </td>
                {row.other ? (
                  <td data-testid="example-other-answer">
                    <WordDiff expected={row.expected} answer={row.other.answer} />
                  </td>
                ) : null}
                <td>
                  <ScoreList row={row} metrics={metrics} metric={metric} />
                </td>
                {compared ? (
                  <td data-testid="example-change">
                    <Change value={changeOf(row, metric)} metric={metric} neutral={neutral} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {visible.length === 0 ? <div className="muted eval-examples-empty">No example matches.</div> : null}
      {visible.length > shown ? (
        <div className="eval-more">
          <button type="button" className="btn btn-sm" onClick={() => setShown(shown + PAGE)}>
            Show {Math.min(PAGE, visible.length - shown)} more
          </button>
        </div>
      ) : null}
    </div>
  );
}
