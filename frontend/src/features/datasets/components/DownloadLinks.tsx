import type { DatasetOut, Split } from "../../../client/types.gen";
import { DownloadButton } from "../../../components/ui/DownloadButton";
import { plural } from "../../../lib/format";
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
            <td className="num muted">{plural(counts[split ?? "all"], "row")}</td>
            <td className="row-actions">
              {counts[split ?? "all"] > 0 ? (
                <span className="download-buttons">
                  {(["jsonl", "csv"] as const).map((format) => (
                    <DownloadButton
                      key={format}
                      href={downloadUrl(dataset.id, split, format)}
                      testId={`download-${split ?? "all"}-${format}`}
                    >
                      {format.toUpperCase()}
                    </DownloadButton>
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
