import { useQuery } from "@tanstack/react-query";
import type { BlindComparisonOut, RankingOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { Loading } from "../../../components/ui/States";
import { plural } from "../../../lib/format";
import { comparisonQueries } from "../api/queries";
import { connectedEvaluations } from "../ranking";

function strength(value: number): string {
  return value.toFixed(2);
}

/** The axis's end: the widest interval's high end, rounded up to a tenth. */
function scaleEnd(ranking: RankingOut): number {
  const highest = Math.max(...ranking.items.map((item) => item.ci_high), 0.1);
  return Math.min(1, Math.ceil(highest * 10) / 10);
}

function at(value: number, end: number): string {
  return `${Math.min(100, Math.max(0, (value / end) * 100))}%`;
}

/**
 * Each model's strength as a dot on its 95% interval, on one scale from 0; the dashed line is an even share (1 / the
 * number of models): a model whose interval lies wholly right of it beats the average one.
 */
function RankingChart({ ranking, highlighted }: { ranking: RankingOut; highlighted: readonly number[] }) {
  const end = scaleEnd(ranking);
  const even = 1 / ranking.items.length;
  const ticks = [0, end / 2, end];
  return (
    <ol className="ab-ranking" data-testid="ab-ranking-list">
      {ranking.items.map((item, index) => (
        <li
          key={item.evaluation_id}
          className={highlighted.includes(item.evaluation_id) ? "ab-ranking-row ab-ranking-this" : "ab-ranking-row"}
          data-testid="ab-ranking-row"
          data-evaluation={item.evaluation_id}
        >
          <div className="ab-ranking-name">
            <span className="ab-ranking-place">{index + 1}</span>
            <span dir="auto">{item.name}</span>
          </div>
          <svg
            className="ab-ranking-bar"
            role="img"
            aria-label={`strength ${strength(item.strength)}, 95% interval ${strength(item.ci_low)} to ${strength(item.ci_high)}`}
          >
            <title>{`${strength(item.strength)} (95% interval ${strength(item.ci_low)}–${strength(item.ci_high)})`}</title>
            <line className="ab-ranking-track" x1="0" x2="100%" y1="50%" y2="50%" />
            <line className="ab-ranking-even" x1={at(even, end)} x2={at(even, end)} y1="0" y2="100%" />
            <line className="ab-ranking-interval" x1={at(item.ci_low, end)} x2={at(item.ci_high, end)} y1="50%" y2="50%" />
            <circle className="ab-ranking-point" cx={at(item.strength, end)} cy="50%" r="5" />
          </svg>
          <div className="ab-ranking-numbers small">
            <span data-testid="ab-ranking-strength">
              {strength(item.strength)}{" "}
              <span className="muted">
                ({strength(item.ci_low)}–{strength(item.ci_high)})
              </span>
            </span>
            <span className="muted" data-testid="ab-ranking-record">
              {item.wins} won · {item.losses} lost
            </span>
          </div>
        </li>
      ))}
      <li className="ab-ranking-row ab-ranking-axis" aria-hidden="true">
        <div className="ab-ranking-name" />
        <div className="ab-ranking-ticks small muted">
          {ticks.map((tick) => (
            <span key={tick} style={{ left: at(tick, end) }}>
              {tick.toFixed(2)}
            </span>
          ))}
        </div>
        <div className="ab-ranking-numbers" />
      </li>
    </ol>
  );
}

/**
 * With three or more models linked by blind votes (this comparison's two and whoever either was compared with), their
 * Bradley–Terry ranking, best first, with bootstrap intervals; nothing with two.
 */
export function RankingCard({ comparison }: { comparison: BlindComparisonOut }) {
  const comparisons = useQuery(comparisonQueries.list());
  const linked = comparisons.data ? connectedEvaluations(comparisons.data, comparison.evaluation_a) : [];
  const ids = [...linked].sort((x, y) => x - y);
  const ranking = useQuery({ ...comparisonQueries.ranking(ids), enabled: ids.length >= 3 });
  if (ids.length < 3) return null;
  const among = (comparisons.data ?? []).filter(
    (c) => linked.includes(c.evaluation_a) && linked.includes(c.evaluation_b),
  ).length;
  return (
    <Card title="Ranking" testId="ab-ranking">
      {ranking.isPending ? (
        <Loading />
      ) : ranking.isError ? (
        <ErrorNotice error={ranking.error} title="Could not rank the models" />
      ) : (
        <>
          <p className="small ab-ranking-basis" data-testid="ab-ranking-basis">
            {ranking.data.votes === 0
              ? `No decisive vote yet between these ${ids.length} models.`
              : `${plural(ranking.data.votes, "decisive vote")} in ${plural(among, "blind A/B")} between ${ids.length} models, best first.`}
          </p>
          <RankingChart ranking={ranking.data} highlighted={[comparison.evaluation_a, comparison.evaluation_b]} />
          <p className="muted small">
            Bradley–Terry strengths (they sum to 1; A beats B with chance A / (A + B)), each with a 95% bootstrap
            interval over the votes. The dashed line is an even share; ties and both bad are left out. Bold: this A/B’s
            two models.
          </p>
        </>
      )}
    </Card>
  );
}
