import { Link } from "react-router";
import type { BenchmarkOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { formatDateTime, formatNumber, formatRelative } from "../../../lib/format";
import { useCanCreate } from "../../../lib/session";
import { useDeleteBenchmark } from "../api/queries";

export function BenchmarksTable({ benchmarks }: { benchmarks: BenchmarkOut[] }) {
  const canCreate = useCanCreate();
  const remove = useDeleteBenchmark();
  return (
    <>
      {remove.isError ? <ErrorNotice error={remove.error} title="Could not delete the benchmark" /> : null}
      <div className="table-wrap">
        <table className="table" data-testid="benchmarks-table">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Questions</th>
              <th>Subjects</th>
              <th>Format</th>
              <th>Uploaded</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {benchmarks.map((benchmark) => {
              const subjects = Object.keys(benchmark.subjects);
              return (
                <tr key={benchmark.id} data-testid="benchmark-row">
                  <td>
                    <Link to={`/benchmarks/${benchmark.id}`} className="strong-link" data-testid="benchmark-name">
                      {benchmark.name}
                    </Link>
                    <span className="muted id-suffix">#{benchmark.id}</span>
                  </td>
                  <td className="num">{formatNumber(benchmark.num_questions)}</td>
                  <td className="muted small" title={subjects.join(", ")}>
                    {subjects.length === 0
                      ? "—"
                      : subjects.length <= 3
                        ? subjects.join(", ")
                        : `${subjects.slice(0, 3).join(", ")} and ${subjects.length - 3} more`}
                  </td>
                  <td>
                    <span className="tag">{benchmark.format}</span>
                  </td>
                  <td title={formatDateTime(benchmark.created_at)}>{formatRelative(benchmark.created_at)}</td>
                  <td className="row-actions">
                    {canCreate ? (
                      <button
                        type="button"
                        className="btn btn-sm btn-danger"
                        disabled={remove.isPending}
                        onClick={() => {
                          if (
                            window.confirm(
                              `Delete “${benchmark.name}”? Its questions and every run's scores on it are deleted too.`,
                            )
                          )
                            remove.mutate(benchmark.id);
                        }}
                      >
                        Delete
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
