import { useRef, useState, type DragEvent } from "react";
import { Link } from "react-router";
import type { DatasetOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { ProgressBar } from "../../../components/ui/ProgressBar";
import { formatBytes, formatNumber } from "../../../lib/format";
import { useUploadDataset } from "../api/queries";

type Progress = { loaded: number; total: number };

export function UploadZone() {
  const inputRef = useRef<HTMLInputElement>(null);
  const abortRef = useRef<AbortController | null>(null);
  const [dragging, setDragging] = useState(false);
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const upload = useUploadDataset();

  const start = (picked: File) => {
    const controller = new AbortController();
    abortRef.current = controller;
    setFile(picked);
    setProgress({ loaded: 0, total: picked.size });
    upload.mutate(
      {
        file: picked,
        name,
        signal: controller.signal,
        onProgress: (loaded, total) => setProgress({ loaded, total: total || picked.size }),
      },
      {
        onSuccess: () => setName(""),
        onSettled: () => {
          abortRef.current = null;
          if (inputRef.current) inputRef.current.value = "";
        },
      },
    );
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped && !upload.isPending) start(dropped);
  };

  const fraction = progress && progress.total > 0 ? progress.loaded / progress.total : 0;
  const sent = progress !== null && progress.total > 0 && progress.loaded >= progress.total;

  return (
    <div className="upload">
      <div
        className={["dropzone", dragging ? "dropzone-active" : "", upload.isPending ? "dropzone-busy" : ""].join(" ")}
        data-testid="dataset-dropzone"
        onDragEnter={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragOver={(event) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = "copy";
        }}
        onDragLeave={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={onDrop}
      >
        <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true">
          <path
            d="M12 16V4m0 0-4 4m4-4 4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.6"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
        <div className="dropzone-text">
          <strong>Drop a dataset file here</strong>
          <span className="muted">
            JSONL (one object per line) or a JSON array of {"{"}instruction, input, output{"}"} records
          </span>
        </div>
        <div className="dropzone-controls">
          <input
            className="input"
            type="text"
            placeholder="Name (optional, defaults to the file name)"
            value={name}
            maxLength={200}
            onChange={(event) => setName(event.target.value)}
            disabled={upload.isPending}
            aria-label="Dataset name"
            data-testid="dataset-name-input"
          />
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => inputRef.current?.click()}
            disabled={upload.isPending}
          >
            Choose file…
          </button>
          <input
            ref={inputRef}
            type="file"
            accept=".jsonl,.json,.ndjson,application/json,application/x-ndjson,text/plain"
            className="visually-hidden"
            data-testid="dataset-file-input"
            onChange={(event) => {
              const picked = event.target.files?.[0];
              if (picked) start(picked);
            }}
          />
        </div>
      </div>

      {upload.isPending && file ? (
        <div className="upload-status">
          <ProgressBar
            testId="upload-progress"
            value={sent ? null : fraction}
            label={
              sent
                ? `Validating and splitting ${file.name}…`
                : `Uploading ${file.name} — ${formatBytes(progress?.loaded ?? 0)} of ${formatBytes(
                    progress?.total ?? file.size,
                  )} (${Math.round(fraction * 100)}%)`
            }
          />
          {!sent ? (
            <button type="button" className="btn btn-sm" onClick={() => abortRef.current?.abort()}>
              Cancel upload
            </button>
          ) : null}
        </div>
      ) : null}

      {upload.isError && file ? (
        <ErrorNotice error={upload.error} title={`Upload rejected: ${file.name}`} testId="upload-error" />
      ) : null}

      {upload.isSuccess ? <UploadSuccess dataset={upload.data} /> : null}
    </div>
  );
}

function UploadSuccess({ dataset }: { dataset: DatasetOut }) {
  return (
    <div className="notice notice-success" data-testid="upload-success">
      <div className="notice-title">Uploaded “{dataset.name}”</div>
      <div className="notice-message">
        {formatNumber(dataset.num_rows)} rows, split into {formatNumber(dataset.num_train)} train /{" "}
        {formatNumber(dataset.num_validation)} validation / {formatNumber(dataset.num_test)} test.{" "}
        <Link to={`/datasets/${dataset.id}`}>View examples</Link> ·{" "}
        <Link to={`/runs/new?dataset=${dataset.id}`}>Fine-tune on it</Link>
      </div>
    </div>
  );
}
