import { useMemo, useState } from "react";
import type { EvaluationPredictionOut } from "../../../client/types.gen";
import { useDebounced } from "../../../lib/useDebounced";
import { compactPrompt, formatScore, formatSigned, HEADLINE_METRIC, metricLabel } from "../format";
import { WordDiff } from "../../../components/ui/WordDiff";

type Scores = Record<string, number | null>;

/** What the judge made of one answer: its 0–1 score and why, or why it gave none; all null when never judged. */
type Judged = { score: number | null; explanation: string | null; notJudged: string | null };

type Side = { answer: string; scores: Scores; judged: Judged };

type Row = {
  exampleId: number;
  instruction: string;
  input: string;
  expected: string;
  answer: string;
  scores: Scores;
  judged: Judged;
  /** The evaluation compared against: its answer and scores (null when viewing one evaluation alone). */
  other: Side | null;
};

type Filter = "all" | "regressions" | "improvements" | "unchanged" | "not_judged";
type SortKey = "change" | "score" | "other" | "example";

const FILTERS: { value: Filter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "regressions", label: "Regressions" },
  { value: "improvements", label: "Improvements" },
  { value: "unchanged", label: "Unchanged" },
];
const NOT_JUDGED_FILTER: { value: Filter; label: string } = { value: "not_judged", label: "Not judged" };

const PAGE = 50;

function judgedOf(prediction: EvaluationPredictionOut): Judged {
  return {
    score: prediction.scores.judge_score ?? null,
    explanation: prediction.judge_explanation,
    notJudged: prediction.not_judged_reason,
  };
}

/** An answer the judge was asked about and gave no score for, on either side. */
function notJudged(row: Row): boolean {
  return row.judged.notJudged !== null || (row.other?.judged.notJudged ?? null) !== null;
}

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
        judged: judgedOf(p),
        other: other ? { answer: other.generated, scores: other.scores, judged: judgedOf(other) } : null,
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

/** Null where there is no value (an answer not judged): such rows sort last, whichever the direction. */
function sortValue(row: Row, metric: string, key: SortKey): number | null {
  if (key === "example") return row.exampleId;
  const value = key === "change" ? changeOf(row, metric) : (key === "score" ? row.scores : row.other?.scores)?.[metric];
  return value ?? null;
}

function compareRows(x: Row, y: Row, metric: string, key: SortKey, ascending: boolean): number {
  const a = sortValue(x, metric, key);
  const b = sortValue(y, metric, key);
  if (a === null || b === null) return (a === null ? 1 : 0) - (b === null ? 1 : 0) || x.exampleId - y.exampleId;
  return (ascending ? a - b : b - a) || x.exampleId - y.exampleId;
}

/** Text longer than three lines, folded to them with "More" / "Less". */
function Folded({ text, className, testId }: { text: string; className?: string; testId?: string }) {
  const [open, setOpen] = useState(false);
  const long = text.length > 160 || text.split("\n").length > 3;
  return (
    <div className={className} data-testid={testId}>
      <div className={open || !long ? "text-cell" : "text-cell eval-clamped"}>{text}</div>
      {long ? (
        <button type="button" className="link-button small" onClick={() => setOpen(!open)}>
          {open ? "Less" : "More"}
        </button>
      ) : null}
    </div>
  );
}

/** Under an answer: the judge's grade (0–100, as it was asked) and explanation, or why it gave none. */
function JudgeNote({ judged }: { judged: Judged }) {
  if (judged.notJudged !== null) {
    return (
      <div className="eval-judge eval-judge-none" data-testid="example-not-judged">
        <div className="eval-judge-label">Not judged</div>
        <Folded text={judged.notJudged} testId="example-not-judged-reason" />
      </div>
    );
  }
  if (judged.score === null) return null;
  return (
    <div className="eval-judge" data-testid="example-judge">
      <div className="eval-judge-label">
        Judge <span data-testid="example-judge-score">{(judged.score * 100).toFixed(0)}</span>
        <span className="muted"> / 100</span>
      </div>
      {judged.explanation ? <Folded text={judged.explanation} testId="example-judge-explanation" /> : null}
    </div>
  );
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
  // An answer the judge gave no score for reads "not judged", never a number.
  const score = (side: Pick<Side, "scores" | "judged">, name: string) =>
    name === "judge_score" && side.judged.notJudged !== null ? (
      <span className="eval-score-none">not judged</span>
    ) : (
      formatScore(side.scores[name], name)
    );
  return (
    <dl className="eval-scores">
      {ordered.map((name) => (
        <div key={name} className={name === metric ? "eval-score eval-score-chosen" : "eval-score"}>
          <dt>{metricLabel(name)}</dt>
          <dd className="mono">
            {row.other ? (
              <>
                {score(row.other, name)}
                <span className="muted"> → </span>
              </>
            ) : null}
            {score(row, name)}
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
  const [chosenFilter, setFilter] = useState<Filter>("all");
  const [search, setSearch] = useState("");
  const [shown, setShown] = useState(PAGE);
  const query = useDebounced(search.trim().toLowerCase(), 200);
  // answer_length: longer is neither better nor worse, so its changes are not coloured.
  const neutral = metric === "answer_length";
  const key: SortKey = compared || sortKey === "score" || sortKey === "example" ? sortKey : "score";

  const counts = useMemo(() => {
    const result: Record<Filter, number> = {
      all: rows.length,
      regressions: 0,
      improvements: 0,
      unchanged: 0,
      not_judged: 0,
    };
    for (const row of rows) {
      // No change (the judge gave one side no score) is neither a regression nor unchanged.
      const change = changeOf(row, metric);
      if (change !== null && change < 0) result.regressions++;
      else if (change !== null && change > 0) result.improvements++;
      else if (change === 0) result.unchanged++;
      if (notJudged(row)) result.not_judged++;
    }
    return result;
  }, [rows, metric]);
  // "Not judged" once the judge left some answer unscored; the other filters need a comparison.
  const filters = [
    ...(compared ? FILTERS : FILTERS.slice(0, 1)),
    ...(counts.not_judged > 0 ? [NOT_JUDGED_FILTER] : []),
  ];
  // A judging run again may leave nothing "not judged": the filter then falls back to every example.
  const filter = filters.some(({ value }) => value === chosenFilter) ? chosenFilter : "all";

  const visible = useMemo(() => {
    const matching = rows.filter((row) => {
      const change = changeOf(row, metric);
      if (filter === "regressions" && !(change !== null && change < 0)) return false;
      if (filter === "improvements" && !(change !== null && change > 0)) return false;
      if (filter === "unchanged" && change !== 0) return false;
      if (filter === "not_judged" && !notJudged(row)) return false;
      if (!query) return true;
      const judgeTexts = [row.judged, row.other?.judged].flatMap((judged) => [
        judged?.explanation ?? "",
        judged?.notJudged ?? "",
      ]);
      return [row.instruction, row.input, row.expected, row.answer, row.other?.answer ?? "", ...judgeTexts].some(
        (text) => text.toLowerCase().includes(query),
      );
    });
    return matching.sort((x, y) => compareRows(x, y, metric, key, ascending));
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
        {filters.length > 1 ? (
          <div className="segmented" role="group" aria-label="Show examples" data-testid="example-filter">
            {filters.map(({ value, label: text }) => (
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
                  <JudgeNote judged={row.judged} />
                </td>
                {row.other ? (
                  <td data-testid="example-other-answer">
                    <WordDiff expected={row.expected} answer={row.other.answer} />
                    <JudgeNote judged={row.other.judged} />
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
