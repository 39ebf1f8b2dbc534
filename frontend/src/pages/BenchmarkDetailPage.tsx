import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Pagination } from "../components/ui/Pagination";
import { Loading } from "../components/ui/States";
import { benchmarkQueries } from "../features/benchmarks/api/queries";
import { QuestionsTable } from "../features/benchmarks/components/QuestionsTable";
import { formatDateTime, formatNumber } from "../lib/format";

const PAGE = 50;

export function BenchmarkDetailPage() {
  const id = Number(useParams().id);
  const valid = Number.isInteger(id) && id > 0;
  const benchmark = useQuery({ ...benchmarkQueries.detail(id), enabled: valid });
  const [subject, setSubject] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const questions = useQuery({ ...benchmarkQueries.questions(id, { subject, offset, limit: PAGE }), enabled: valid });
  if (!valid) return <ErrorNotice error={new Error("Not a benchmark id")} title="Not found" />;
  if (benchmark.isPending) return <Loading />;
  if (benchmark.isError) return <ErrorNotice error={benchmark.error} title="Could not load the benchmark" />;
  const subjects = Object.entries(benchmark.data.subjects);
  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/benchmarks">Benchmarks</Link> <span className="muted">/</span> #{benchmark.data.id}
          </>
        }
        title={benchmark.data.name}
        subtitle={`${formatNumber(benchmark.data.num_questions)} questions · ${subjects.length || "no"} subjects · ${benchmark.data.format} · uploaded ${formatDateTime(benchmark.data.created_at)}`}
      />
      <Card
        title="Questions"
        flush
        actions={
          subjects.length > 0 ? (
            <select
              className="input"
              aria-label="Subject"
              value={subject ?? ""}
              onChange={(event) => {
                setSubject(event.target.value || null);
                setOffset(0);
              }}
              data-testid="subject-filter"
            >
              <option value="">All subjects</option>
              {subjects.map(([name, count]) => (
                <option key={name} value={name}>
                  {name} ({count})
                </option>
              ))}
            </select>
          ) : null
        }
      >
        {questions.isPending ? (
          <Loading />
        ) : questions.isError ? (
          <ErrorNotice error={questions.error} title="Could not load the questions" />
        ) : (
          <>
            <QuestionsTable questions={questions.data.items} />
            <Pagination offset={offset} limit={PAGE} total={questions.data.total} onChange={setOffset} />
          </>
        )}
      </Card>
    </>
  );
}
