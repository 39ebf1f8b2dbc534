import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { comparisonQueries } from "../features/reviews/api/queries";
import { BlindComparison } from "../features/reviews/components/BlindComparison";
import { RankingCard } from "../features/reviews/components/RankingCard";

/** /comparisons/:id: blind A/B votes between two evaluations' answers. */
export function ComparisonPage() {
  const id = Number(useParams().id);
  const valid = Number.isInteger(id) && id > 0;
  const comparison = useQuery({ ...comparisonQueries.detail(id), enabled: valid });
  if (!valid) return <ErrorNotice error={new Error("Not a comparison id")} title="Not found" />;
  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/runs">Runs</Link> <span className="muted">/</span> blind A/B #{id}
          </>
        }
        title="Which answer is better?"
        subtitle={
          comparison.data
            ? `Two models’ answers to the same ${comparison.data.total} examples, in random order and unnamed: 1 A, 2 B, 3 tie, 4 both bad.`
            : "Two models’ answers to the same examples, in random order and unnamed."
        }
      />
      <BlindComparison comparisonId={id} />
      {comparison.data ? <RankingCard comparison={comparison.data} /> : null}
    </>
  );
}
