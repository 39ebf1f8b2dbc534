import { useMemo, useState } from "react";
import type { EvaluationPredictionOut } from "../../../client/types.gen";
import { useDebounced } from "../../../lib/useDebounced";
import { compactPrompt, formatScore, formatSigned, HEADLINE_METRIC, metricLabel } from "../format";
import { WordDiff } from "./WordDiff";

type Row = {
  exampleId: number;
  prompt: string;
  instruction: string;
  expected: string;
  tuned: string;
  base: string;
  tunedScores: Record<string, number | null>;
  baseScores: Record<string, number | null>;
};

type Filter = "all" | "regressions" | "improvements" | "unchanged";
type SortKey = "change" | "tuned" | "base" | "example";

const FILTERS: { value: Filter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "regressions", label: "Regressions" },
  { value: "improvements", label: "Improvements" },
  { value: "unchanged", label: "Unchanged" },
];

const PAGE = 50;

/** Both evaluations' answers to the same example, side by side; examples only one of them answered are left out. */
function joinRows(tuned: EvaluationPredictionOut[], base: EvaluationPredictionOut[]): Row[] {
  const byExample = new Map(base.map((p) => [p.example_id, p]));
  return tuned.flatMap((p) => {
    const other = byExample.get(p.example_id);
    if (!other) return [];
    return [
      {
        exampleId: p.example_id,
        prompt: p.prompt,
        instruction: compactPrompt(p.prompt),
        expected: p.expected,
        tuned: p.generated,
        base: other.generated,
        tunedScores: p.scores,
        baseScores: other.scores,
      },
    ];
  });
}

function changeOf(row: Row, metric: string): number | null {
  const tuned = row.tunedScores[metric];
  const base = row.baseScores[metric];
  return tuned === null || tuned === undefined || base === null || base === undefined ? null : tuned - base;
}

function sortValue(row: Row, metric: string, key: SortKey): number {
  if (key === "example") return row.exampleId;
  const value = key === "change" ? changeOf(row, metric) : (key === "tuned" ? row.tunedScores : row.baseScores)[metric];
  return value ?? Number.NEGATIVE_INFINITY;
}

function Prompt({ text, full }: { text: string; full: string }) {
  const [open, setOpen] = useState(false);
  const long = text.length > 60 || text.split("\n").length >= 3;
  return (
    <div className="eval-prompt">
      <div className={`text-cell mono-text${open ? "" : " eval-clamped"}`} title={open ? undefined : full}>
        {text}
      </div>
      {long ? (
        <button type="button" className="link-button small" onClick={() => setOpen(!open)}>
          {open ? "Less" : "More"}
        </button>
      ) : null}
    </div>
  );
}

function ScorePair({ row, metric }: { row: Row; metric: string }) {
  return (
    <span className="mono eval-score-pair">
      {formatScore(row.baseScores[metric], metric)}
      <span className="muted"> → </span>
      {formatScore(row.tunedScores[metric], metric)}
    </span>
  );
}

function Change({ value, metric, neutral }: { value: number | null; metric: string; neutral: boolean }) {
  if (value === null) return <span className="muted">—</span>;
  const tone = value === 0 || neutral ? "same" : value > 0 ? "better" : "worse";
  return <span className={`delta delta-${tone}`}>{formatSigned(value, metric)}</span>;
}

/**
 * Every test example answered by both models: the instruction, the expected answer, the fine-tuned answer (diffed
 * word by word against the expected one) and the base model's, with per-example scores and the change in one metric,
 * which the filter and the default order follow.
 */
export function ExampleComparisonTable({
  tuned,
  base,
  metrics,
  total,
}: {
  tuned: EvaluationPredictionOut[];
  base: EvaluationPredictionOut[];
  /** The metrics to sort and filter by, in the comparison's order. */
  metrics: string[];
  /** How many examples the evaluations answered (more than the rows when above the page limit). */
  total: number;
}) {
  const rows = useMemo(() => joinRows(tuned, base), [tuned, base]);
  const [metric, setMetric] = useState(metrics.includes(HEADLINE_METRIC) ? HEADLINE_METRIC : (metrics[0] ?? ""));
  const [sortKey, setSortKey] = useState<SortKey>("change");
  const [ascending, setAscending] = useState(true);
  const [filter, setFilter] = useState<Filter>("all");
  const [search, setSearch] = useState("");
  const [shown, setShown] = useState(PAGE);
  const query = useDebounced(search.trim().toLowerCase(), 200);
  // answer_length: longer is neither better nor worse, so its changes are not coloured.
  const neutral = metric === "answer_length";

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
      return [row.prompt, row.expected, row.tuned, row.base].some((text) => text.toLowerCase().includes(query));
    });
    const direction = ascending ? 1 : -1;
    return matching.sort(
      (x, y) => direction * (sortValue(x, metric, sortKey) - sortValue(y, metric, sortKey)) || x.exampleId - y.exampleId,
    );
  }, [rows, metric, filter, query, sortKey, ascending]);

  const sortBy = (key: SortKey) => {
    if (key === sortKey) setAscending(!ascending);
    else {
      setSortKey(key);
      setAscending(key === "change" || key === "example");
    }
  };
  const arrow = (key: SortKey) => (key === sortKey ? (ascending ? " ▲" : " ▼") : "");
  const ariaSort = (key: SortKey) => (key === sortKey ? (ascending ? "ascending" : "descending") : undefined);
  const label = metricLabel(metric);

  return (
    <div className="eval-examples">
      <div className="table-toolbar eval-toolbar">
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
        <label className="eval-toolbar-field small">
          <span className="muted">in</span>
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
          placeholder="Search prompts and answers"
          aria-label="Search prompts and answers"
          value={search}
          onChange={(event) => {
            setSearch(event.target.value);
            setShown(PAGE);
          }}
          data-testid="example-search"
        />
      </div>
      <div className="muted small eval-examples-note">
        {visible.length === rows.length
          ? `${rows.length} examples`
          : `${visible.length} of ${rows.length} examples`}
        {total > rows.length ? ` (the first ${rows.length} of ${total})` : ""} · a change is the fine-tuned score
        minus the base model's · in the fine-tuned answer,{" "}
        <ins className="eval-diff-inserted">extra words</ins> and{" "}
        <del className="eval-diff-missing">missing words</del> are marked against the expected answer
      </div>
      <div className="table-wrap">
        <table className="table table-text eval-table" data-testid="example-table">
          <thead>
            <tr>
              <th aria-sort={ariaSort("example")}>
                <button type="button" className="eval-sort" onClick={() => sortBy("example")}>
                  #{arrow("example")}
                </button>
              </th>
              <th>Instruction</th>
              <th>Expected</th>
              <th>Fine-tuned answer</th>
              <th>Base model answer</th>
              <th aria-sort={sortKey === "base" || sortKey === "tuned" ? ariaSort(sortKey) : undefined}>
                {label}
                <div className="eval-th-sub">
                  <button type="button" className="eval-sort" onClick={() => sortBy("base")} title="sort by the base score">
                    base{arrow("base")}
                  </button>
                  {" → "}
                  <button
                    type="button"
                    className="eval-sort"
                    onClick={() => sortBy("tuned")}
                    title="sort by the fine-tuned score"
                  >
                    tuned{arrow("tuned")}
                  </button>
                </div>
              </th>
              {metric !== "exact_match" ? <th>
                  Exact match
                  <div className="eval-th-sub">base → tuned</div>
                </th> : null}
              <th aria-sort={ariaSort("change")}>
                <button type="button" className="eval-sort" onClick={() => sortBy("change")} data-testid="sort-change">
                  Change{arrow("change")}
                </button>
              </th>
            </tr>
          </thead>
          <tbody>
            {visible.slice(0, shown).map((row) => (
              <tr key={row.exampleId} data-testid="example-row" data-example={row.exampleId}>
                <td className="mono muted">{row.exampleId}</td>
                <td className="eval-cell-prompt">
                  <Prompt text={row.instruction} full={row.prompt} />
                </td>
                <td className="eval-cell-answer">
                  <div className="text-cell mono-text">{row.expected}</div>
                </td>
                <td className="eval-cell-answer">
                  <WordDiff expected={row.expected} answer={row.tuned} />
                </td>
                <td className="eval-cell-answer">
                  {row.base.trim() === "" ? (
                    <span className="muted">(empty answer)</span>
                  ) : (
                    <div className="text-cell mono-text">{row.base}</div>
                  )}
                </td>
                <td>
                  <ScorePair row={row} metric={metric} />
                </td>
                {metric !== "exact_match" ? (
                  <td>
                    <ScorePair row={row} metric="exact_match" />
                  </td>
                ) : null}
                <td data-testid="example-change">
                  <Change value={changeOf(row, metric)} metric={metric} neutral={neutral} />
                </td>
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
