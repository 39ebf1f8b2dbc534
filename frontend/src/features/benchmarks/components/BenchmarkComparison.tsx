import { useQuery } from "@tanstack/react-query";
import type { FlippedQuestionOut, MetricComparisonOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { benchmarkQueries } from "../api/queries";
import { choiceText, formatAccuracy, formatPoints, formatPointsInterval, METRIC_LABELS, VERDICTS } from "../format";

function Verdict({ metric }: { metric: MetricComparisonOut }) {
  const verdict = VERDICTS[metric.verdict];
  return (
    <span className={`delta delta-${verdict.tone}`} data-testid="benchmark-verdict">
      {verdict.text}
    </span>
  );
}

function MetricLine({ metric }: { metric: MetricComparisonOut }) {
  return (
    <div className="mc-metric" data-testid="benchmark-metric" data-metric={metric.name}>
      <div className="mc-metric-name">
        <span className="mono">{METRIC_LABELS[metric.name] ?? metric.name}</span> <Verdict metric={metric} />
      </div>
      <div className="mc-metric-values mono">
        <span title="base model" data-testid="benchmark-base">
          {formatAccuracy(metric.a)}
        </span>
        <span className="muted"> → </span>
        <strong title="fine-tuned" data-testid="benchmark-tuned">
          {formatAccuracy(metric.b)}
        </strong>
      </div>
      <div className="small">
        <span className="mono">{formatPoints(metric.difference)}</span>{" "}
        <span className="muted">{formatPointsInterval(metric)}</span>
      </div>
      <div className="muted small">
        {metric.better} wrong → right · {metric.worse} right → wrong
      </div>
      <p className="muted small mc-metric-help">{metric.description}</p>
    </div>
  );
}

function SubjectsTable({ subjects }: { subjects: { subject: string; questions: number; metrics: MetricComparisonOut[] }[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="benchmark-subjects">
        <thead>
          <tr>
            <th>Subject</th>
            <th className="num">Questions</th>
            <th>acc, base → fine-tuned</th>
            <th>acc_norm, base → fine-tuned</th>
          </tr>
        </thead>
        <tbody>
          {subjects.map((subject) => (
            <tr key={subject.subject} data-testid="benchmark-subject-row">
              <td>{subject.subject}</td>
              <td className="num">{subject.questions}</td>
              {subject.metrics.map((metric) => (
                <td key={metric.name} title={formatPointsInterval(metric)}>
                  <span className="mono">
                    {formatAccuracy(metric.a)} → {formatAccuracy(metric.b)}
                  </span>{" "}
                  <span className="muted small mono">({formatPoints(metric.difference)})</span>{" "}
                  <Verdict metric={metric} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FlippedTable({ flipped }: { flipped: FlippedQuestionOut[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="benchmark-flipped">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Question</th>
            <th>Right answer</th>
            <th>Base</th>
            <th>Fine-tuned</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {flipped.map((item) => (
            <tr key={item.question_id} data-testid="flipped-row" data-change={item.change}>
              <td className="num muted">{item.number}</td>
              <td className="mc-question">
                {item.question}
                {item.subject ? <div className="muted small">{item.subject}</div> : null}
              </td>
              <td>{choiceText(item.choices, item.correct)}</td>
              <td>{choiceText(item.choices, item.a_chosen)}</td>
              <td>{choiceText(item.choices, item.b_chosen)}</td>
              <td>
                {item.change === "right_to_wrong" ? (
                  <span className="delta delta-worse">right → wrong</span>
                ) : (
                  <span className="delta delta-better">wrong → right</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** acc and acc_norm base → fine-tuned with paired intervals, per subject, and the questions whose answer flipped. */
export function BenchmarkComparison({ baseId, tunedId }: { baseId: number; tunedId: number }) {
  const comparison = useQuery(benchmarkQueries.compare(baseId, tunedId));
  if (comparison.isPending) return <Loading />;
  if (comparison.isError) return <ErrorNotice error={comparison.error} title="Could not compare the scores" />;
  const { metrics, examples } = comparison.data;
  const subjects = comparison.data.subjects ?? [];
  const flipped = comparison.data.flipped ?? [];
  const accuracy = metrics.find((m) => m.name === "accuracy");
  const totalFlipped = accuracy ? accuracy.better + accuracy.worse : flipped.length;
  return (
    <div className="mc-comparison" data-testid="benchmark-comparison">
      <p className="muted small">
        {examples} questions · each choice ranked by its log-likelihood after “Question: …\nAnswer:” · 95% paired
        bootstrap intervals; an interval that crosses zero is no clear change
      </p>
      <div className="mc-metrics">
        {metrics.map((metric) => (
          <MetricLine key={metric.name} metric={metric} />
        ))}
      </div>
      {subjects.length > 0 ? (
        <>
          <h3 className="mc-heading">Per subject</h3>
          <SubjectsTable subjects={subjects} />
        </>
      ) : null}
      <h3 className="mc-heading">
        Answers that flipped{" "}
        <span className="muted small">
          {totalFlipped === 0
            ? "none: both models got the same questions right"
            : `${totalFlipped}${totalFlipped > flipped.length ? `, the first ${flipped.length} shown` : ""}, right → wrong first`}
        </span>
      </h3>
      {flipped.length > 0 ? <FlippedTable flipped={flipped} /> : null}
    </div>
  );
}
