import { useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { DatasetOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { ProgressBar } from "../../../components/ui/ProgressBar";
import { UploadDropzone } from "../../../components/ui/UploadDropzone";
import { ApiError } from "../../../lib/api";
import { formatBytes, formatNumber } from "../../../lib/format";
import { templateQueries, useUploadDataset, type Shape, type TemplateName, type UploadOptions } from "../api/queries";
import { plural } from "../tokens";
import { ACCEPT, DEFAULT_SPLIT_DRAFT, parseSplitDraft, SHAPE_LABELS, type SplitDraft } from "../uploadOptions";
import { ColumnMappingForm } from "./ColumnMappingForm";
import { UploadOptionsPanel } from "./UploadOptionsPanel";

type Progress = { loaded: number; total: number };
/** What the last attempt added on top of the Options area: a mapping, or "drop the bad rows". */
type Fixes = { columnMapping: Record<string, string> | null; shape: Shape | null; dropInvalid: boolean };
const NO_FIXES: Fixes = { columnMapping: null, shape: null, dropInvalid: false };

export function UploadZone() {
  const abortRef = useRef<AbortController | null>(null);
  const [name, setName] = useState("");
  // The last chosen file stays here, so a mapping or "drop bad rows" resubmits without picking it again.
  const [file, setFile] = useState<File | null>(null);
  const [fixes, setFixes] = useState<Fixes>(NO_FIXES);
  const [progress, setProgress] = useState<Progress | null>(null);
  // The file's columns from the last "which column is which?" answer, to reopen the mapping after a later error.
  const [columns, setColumns] = useState<string[] | null>(null);
  const [remap, setRemap] = useState(false);
  // ?group_similar=1: the leakage warning's "upload again keeping similar prompts together" sends users here.
  const [searchParams] = useSearchParams();
  const [optionsOpen, setOptionsOpen] = useState(searchParams.get("group_similar") === "1");
  const [shape, setShape] = useState<Shape>("auto");
  const [split, setSplit] = useState<SplitDraft>(DEFAULT_SPLIT_DRAFT);
  const [validationFile, setValidationFile] = useState<File | null>(null);
  const [testFile, setTestFile] = useState<File | null>(null);
  const [template, setTemplate] = useState<TemplateName | "">("");
  const [groupSimilar, setGroupSimilar] = useState(searchParams.get("group_similar") === "1");
  const templates = useQuery(templateQueries.list());
  const upload = useUploadDataset();

  const parsedSplit = parseSplitDraft(split);
  const splitError = parsedSplit.ok ? null : parsedSplit.error;
  const changedOptions = [
    shape !== "auto" ? SHAPE_LABELS[shape].split(" (")[0] : null,
    parsedSplit.ok &&
    (split.train !== DEFAULT_SPLIT_DRAFT.train ||
      split.validation !== DEFAULT_SPLIT_DRAFT.validation ||
      split.test !== DEFAULT_SPLIT_DRAFT.test)
      ? `${split.train} / ${split.validation} / ${split.test}`
      : null,
    split.seed !== DEFAULT_SPLIT_DRAFT.seed ? `seed ${split.seed}` : null,
    validationFile ? "own validation file" : null,
    testFile ? "own test file" : null,
    template ? `template ${template}` : null,
    groupSimilar ? "similar prompts kept in one split" : null,
  ].filter(Boolean);

  const start = (picked: File, nextFixes: Fixes = NO_FIXES) => {
    if (!parsedSplit.ok) {
      setOptionsOpen(true);
      return;
    }
    const controller = new AbortController();
    abortRef.current = controller;
    if (picked !== file) setColumns(null);
    setFile(picked);
    setFixes(nextFixes);
    setRemap(false);
    setProgress({ loaded: 0, total: picked.size });
    const options: UploadOptions = {
      shape: nextFixes.shape ?? shape,
      ratios: parsedSplit.ratios,
      seed: parsedSplit.seed,
      validationFile,
      testFile,
      template,
      columnMapping: nextFixes.columnMapping,
      dropInvalid: nextFixes.dropInvalid,
      groupSimilar,
    };
    upload.mutate(
      {
        file: picked,
        name,
        options,
        signal: controller.signal,
        onProgress: (loaded, total) => setProgress({ loaded, total: total || picked.size }),
      },
      {
        onSuccess: () => {
          // Name and split files belong to this dataset; shape, shares, seed and template stay for the next.
          setName("");
          setValidationFile(null);
          setTestFile(null);
        },
        onError: (err) => {
          if (err instanceof ApiError && err.columns && err.columns.length > 0) setColumns(err.columns);
        },
        onSettled: () => {
          abortRef.current = null;
        },
      },
    );
  };

  const fraction = progress && progress.total > 0 ? progress.loaded / progress.total : 0;
  const sent = progress !== null && progress.total > 0 && progress.loaded >= progress.total;
  const error = upload.error instanceof ApiError ? upload.error : null;
  const mappingColumns =
    error !== null && error.status === 422 && error.columns !== null && error.columns.length > 0
      ? error.columns
      : remap
        ? columns
        : null;
  const needsMapping = error !== null && mappingColumns !== null;
  const canDrop =
    error !== null && error.status === 422 && !needsMapping && error.badRows !== null && (error.usableRows ?? 0) > 0;

  return (
    <div className="upload">
      <UploadDropzone
        accept={ACCEPT}
        onFile={start}
        busy={upload.isPending}
        title="Drop a dataset file here"
        help={
          <>
            JSONL, JSON array, CSV, TSV or Parquet: Alpaca rows (instruction, input, output), prompt/completion pairs
            or chats ({"{"}"messages": [...]{"}"})
          </>
        }
        name={name}
        onName={setName}
        nameLabel="Dataset name"
        testId="dataset-dropzone"
        inputTestId="dataset-file-input"
        nameTestId="dataset-name-input"
      />

      <details
        className="upload-options"
        open={optionsOpen}
        onToggle={(event) => setOptionsOpen(event.currentTarget.open)}
      >
        <summary data-testid="upload-options-toggle">
          <span className="collapsible-title">Options</span>
          <span className={splitError ? "field-error small" : "muted small"}>
            {splitError ??
              (changedOptions.length > 0
                ? changedOptions.join(" · ")
                : "auto-detected shape · 85 / 5 / 10 split · seed 42 · template by shape")}
          </span>
        </summary>
        <UploadOptionsPanel
          shape={shape}
          split={split}
          splitError={splitError}
          validationFile={validationFile}
          testFile={testFile}
          template={template}
          templates={templates.data?.items ?? []}
          disabled={upload.isPending}
          onShape={setShape}
          onSplit={setSplit}
          onValidationFile={setValidationFile}
          onTestFile={setTestFile}
          onTemplate={setTemplate}
          groupSimilar={groupSimilar}
          onGroupSimilar={setGroupSimilar}
        />
      </details>

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

      {upload.isError && file && needsMapping ? (
        <ColumnMappingForm
          key={`${file.name}-${file.lastModified}`}
          fileName={file.name}
          columns={mappingColumns}
          detail={error.message}
          rejectedMapping={fixes.columnMapping !== null}
          initialTarget={fixes.shape && fixes.shape !== "auto" ? fixes.shape : shape === "auto" ? "alpaca" : shape}
          initialMapping={fixes.columnMapping}
          busy={upload.isPending}
          onSubmit={(target, columnMapping) => start(file, { columnMapping, shape: target, dropInvalid: false })}
          onCancel={() => upload.reset()}
        />
      ) : null}

      {upload.isError && file && canDrop ? (
        <BadRowsChoice
          error={error}
          fileName={file.name}
          onDrop={() => start(file, { ...fixes, dropInvalid: true })}
          onRemap={fixes.columnMapping && columns ? () => setRemap(true) : null}
          onCancel={() => upload.reset()}
        />
      ) : null}

      {upload.isError && file && !needsMapping && !canDrop ? (
        <>
          <ErrorNotice error={upload.error} title={`Upload rejected: ${file.name}`} testId="upload-error" />
          {fixes.columnMapping && columns ? (
            <div>
              <button type="button" className="btn" onClick={() => setRemap(true)} data-testid="mapping-reopen">
                Change the column mapping
              </button>
            </div>
          ) : null}
        </>
      ) : null}

      {upload.isSuccess ? <UploadSuccess dataset={upload.data} /> : null}
    </div>
  );
}

/** Some rows are bad, some are fine: list the problems, and offer to keep the good rows. */
function BadRowsChoice({
  error,
  fileName,
  onDrop,
  onRemap,
  onCancel,
}: {
  error: ApiError;
  fileName: string;
  onDrop: () => void;
  /** Offered when a column mapping was sent: a wrong mapping is a common cause of bad rows. */
  onRemap: (() => void) | null;
  onCancel: () => void;
}) {
  const bad = error.badRows ?? 0;
  const usable = error.usableRows ?? 0;
  const MAX = 50;
  return (
    <div className="notice notice-warning" role="alert" data-testid="upload-error">
      <div className="notice-title">
        {plural(bad, "row")} of “{fileName}” {bad === 1 ? "has a problem" : "have problems"}
      </div>
      <div className="notice-message" title={error.message}>
        Nothing was stored. Fix the file and upload it again, or keep the {formatNumber(usable)} good{" "}
        {usable === 1 ? "row" : "rows"} and leave the bad ones out (the count is kept with the dataset).
      </div>
      {error.errors.length > 0 ? (
        <ul className="notice-list" data-testid="error-list">
          {error.errors.slice(0, MAX).map((detail, index) => (
            <li key={index}>{detail}</li>
          ))}
          {bad > error.errors.length ? (
            <li className="muted">…and {formatNumber(bad - Math.min(error.errors.length, MAX))} more</li>
          ) : null}
        </ul>
      ) : null}
      <div className="notice-actions">
        <button type="button" className="btn btn-primary" onClick={onDrop} data-testid="drop-invalid">
          Drop {plural(bad, "bad row")} and keep {formatNumber(usable)}
        </button>
        {onRemap ? (
          <button type="button" className="btn" onClick={onRemap} data-testid="mapping-reopen">
            Change the column mapping
          </button>
        ) : null}
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function UploadSuccess({ dataset }: { dataset: DatasetOut }) {
  const warnings = dataset.warnings.length;
  return (
    <div className="notice notice-success" data-testid="upload-success">
      <div className="notice-title">Uploaded “{dataset.name}”</div>
      <div className="notice-message">
        {plural(dataset.num_rows, "row")} ({dataset.shape.replace("_", "/")}), split into{" "}
        {formatNumber(dataset.num_train)} train / {formatNumber(dataset.num_validation)} validation /{" "}
        {formatNumber(dataset.num_test)} test
        {dataset.num_dropped > 0 ? `; ${plural(dataset.num_dropped, "bad row")} dropped` : ""}.
        {warnings > 0 ? ` ${plural(warnings, "warning")} to review.` : ""}{" "}
        <Link to={`/datasets/${dataset.id}`} data-testid="upload-success-link">
          Open the dataset
        </Link>{" "}
        · <Link to={`/runs/new?dataset=${dataset.id}`}>Fine-tune on it</Link>
      </div>
    </div>
  );
}
