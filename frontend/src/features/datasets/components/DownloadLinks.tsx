import type { DatasetOut, Split } from "../../../client/types.gen";
import { formatNumber } from "../../../lib/format";
import { downloadUrl } from "../api/queries";

const ROWS: (Split | null)[] = ["train", "validation", "test", null];

/** One row per split: the stored records as JSONL (lossless) or CSV (spreadsheet-safe). */
export function DownloadLinks({ dataset }: { dataset: DatasetOut }) {
  const counts: Record<Split | "all", number> = {
    train: dataset.num_train,
    validation: dataset.num_validation,
    test: dataset.num_test,
    all: dataset.num_rows,
  };
  return (
    <table className="table downloads" data-testid="downloads">
      <tbody>
        {ROWS.map((split) => (
          <tr key={split ?? "all"}>
            <td>
              {split ? (
                <span className={`tag tag-split tag-${split}`}>{split}</span>
              ) : (
                <span className="muted">all splits</span>
              )}
            </td>
            <td className="num muted">{formatNumber(counts[split ?? "all"])} rows</td>
            <td className="row-actions">
              {counts[split ?? "all"] > 0 ? (
                <span className="download-buttons">
                  {(["jsonl", "csv"] as const).map((format) => (
                    <a
                      key={format}
                      className="btn btn-sm"
                      href={downloadUrl(dataset.id, split, format)}
                      download
                      data-testid={`download-${split ?? "all"}-${format}`}
                    >
                      <svg viewBox="0 0 24 24" className="btn-icon" aria-hidden="true">
                        <path
                          d="M12 4v11m0 0-4-4m4 4 4-4M5 19h14"
                          fill="none"
                          stroke="currentColor"
                          strokeWidth="1.8"
                          strokeLinecap="round"
                          strokeLinejoin="round"
                        />
                      </svg>
                      {format.toUpperCase()}
                    </a>
                  ))}
                </span>
              ) : (
                <span className="muted small">empty</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
