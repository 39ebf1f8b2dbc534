import { useState, type SubmitEvent } from "react";
import { useNavigate } from "react-router";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FileDropzone } from "../../../components/ui/FileDropzone";
import { FieldError, FormRow } from "../../../components/ui/FormRow";
import { Toggle } from "../../../components/ui/Toggle";
import { ApiError } from "../../../lib/api";
import { formatBytes, formatNumber } from "../../../lib/format";
import { useConversionPreview, useConvertDataset } from "../api/queries";
import { guessColumn, sniffColumns } from "../columns";
import { plural } from "../tokens";
import { ACCEPT } from "../uploadOptions";

const LABEL_NAMES = ["label", "labels", "class", "category", "target", "intent", "sentiment"];
const TEXT_NAMES = ["text", "sentence", "content", "review", "body", "message", "document", "input"];

type Draft = {
  labelColumn: string;
  textColumn: string;
  task: string;
  paraphrases: string;
  inverted: boolean;
  name: string;
};

/**
 * A labelled table (Label, Text) → instruction examples: each row wrapped in the task description with an
 * OPTIONS clause of the labels, in several paraphrased templates (and optionally inverted ones).
 * "Preview" shows what would be stored; "Save as dataset" stores it and opens it.
 */
export function ConvertForm() {
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<string[] | null>(null);
  const [draft, setDraft] = useState<Draft>({
    labelColumn: "",
    textColumn: "",
    task: "",
    paraphrases: "3",
    inverted: false,
    name: "",
  });
  const [touched, setTouched] = useState(false);
  const preview = useConversionPreview();
  const convert = useConvertDataset();

  // A 422 that lists the file's columns (e.g. a Parquet file we could not read here) fills the dropdowns.
  const serverColumns = [preview.error, convert.error]
    .map((e) => (e instanceof ApiError ? e.columns : null))
    .find((c): c is string[] => c !== null && c.length > 0);
  const knownColumns = columns ?? serverColumns ?? null;

  const paraphrases = Number(draft.paraphrases);
  const errors: Partial<Record<keyof Draft | "file", string>> = {};
  if (!file) errors.file = "Choose a file.";
  if (!draft.labelColumn.trim()) errors.labelColumn = "Which column holds the label?";
  if (!draft.textColumn.trim()) errors.textColumn = "Which column holds the text?";
  if (draft.labelColumn && draft.labelColumn === draft.textColumn) errors.textColumn = "Pick two different columns.";
  if (!draft.task.trim()) errors.task = "Describe the task in one sentence.";
  if (!Number.isInteger(paraphrases) || paraphrases < 1 || paraphrases > 10) errors.paraphrases = "1 to 10.";
  const valid = Object.keys(errors).length === 0;

  const change = (patch: Partial<Draft>) => {
    setDraft((old) => ({ ...old, ...patch }));
    if (convert.isError) convert.reset();
  };

  const pick = async (picked: File) => {
    setFile(picked);
    preview.reset();
    convert.reset();
    const found = await sniffColumns(picked);
    setColumns(found);
    if (found) {
      setDraft((old) => ({
        ...old,
        labelColumn: found.includes(old.labelColumn) ? old.labelColumn : guessColumn(found, LABEL_NAMES),
        textColumn: found.includes(old.textColumn) ? old.textColumn : guessColumn(found, TEXT_NAMES),
        name: old.name || picked.name.replace(/\.[^.]+$/, "") + " (instructions)",
      }));
    }
  };

  const body = () =>
    file
      ? {
          file,
          label_column: draft.labelColumn.trim(),
          text_column: draft.textColumn.trim(),
          task: draft.task.trim(),
          paraphrases,
          inverted: draft.inverted,
        }
      : null;

  const onPreview = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    const b = body();
    if (!valid || !b) return;
    preview.mutate(b);
  };

  const onSave = () => {
    setTouched(true);
    const b = body();
    if (!valid || !b) return;
    convert.mutate(
      { ...b, name: draft.name.trim() ? draft.name.trim() : null },
      { onSuccess: (dataset) => void navigate(`/datasets/${dataset.id}`) },
    );
  };

  const show = (field: keyof typeof errors) => (touched ? errors[field] : undefined);

  const columnControl = (field: "labelColumn" | "textColumn", testId: string, label: string) => (
    <FormRow label={label} htmlFor={testId}>
      {knownColumns ? (
        <select
          id={testId}
          className="select"
          value={draft[field]}
          onChange={(event) => change({ [field]: event.target.value })}
          aria-invalid={show(field) ? true : undefined}
          data-testid={testId}
        >
          <option value="">Choose a column…</option>
          {knownColumns.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={testId}
          className="input"
          value={draft[field]}
          placeholder="Column name"
          onChange={(event) => change({ [field]: event.target.value })}
          aria-invalid={show(field) ? true : undefined}
          data-testid={testId}
        />
      )}
      <FieldError>{show(field)}</FieldError>
    </FormRow>
  );

  const busy = preview.isPending || convert.isPending;

  return (
    <form className="form form-wide" onSubmit={onPreview} noValidate data-testid="convert-form">
      <section className="card">
        <div className="card-body form-grid">
          <FormRow label="Labelled table">
            <FileDropzone
              accept={ACCEPT}
              onFile={(picked) => void pick(picked)}
              disabled={busy}
              className="dropzone-compact"
              buttonLabel={file ? "Replace…" : "Choose file…"}
              testId="convert-dropzone"
              inputTestId="convert-file-input"
            >
              {(chooseButton) => (
                <>
                  <div className="dropzone-text">
                    {file ? (
                      <>
                        <strong className="mono" data-testid="convert-file-name">
                          {file.name}
                        </strong>
                        <span className="muted small">
                          {formatBytes(file.size)}
                          {knownColumns
                            ? ` · columns: ${knownColumns.join(", ")}`
                            : " · columns are read by the server"}
                        </span>
                      </>
                    ) : (
                      <>
                        <strong>Drop a CSV, TSV, JSONL or Parquet file</strong>
                        <span className="muted small">one row per example: a label column and a text column</span>
                      </>
                    )}
                  </div>
                  {chooseButton}
                </>
              )}
            </FileDropzone>
            <FieldError>{show("file")}</FieldError>
          </FormRow>
          {columnControl("labelColumn", "convert-label-column", "Label column")}
          {columnControl("textColumn", "convert-text-column", "Text column")}
          <FormRow label="Task" htmlFor="convert-task">
            <textarea
              id="convert-task"
              className="textarea"
              rows={2}
              value={draft.task}
              placeholder="e.g. Decide whether the complaint is about a product defect"
              onChange={(event) => change({ task: event.target.value })}
              aria-invalid={show("task") ? true : undefined}
              data-testid="convert-task"
            />
            {show("task") ? (
              <FieldError>{show("task")}</FieldError>
            ) : (
              <div className="hint">
                The instruction each row is wrapped in. The allowed labels are appended as OPTIONS, which keeps the
                model's answers inside the label set.
              </div>
            )}
          </FormRow>
          <FormRow label="Paraphrases" htmlFor="convert-paraphrases" inline>
            <input
              id="convert-paraphrases"
              className="input input-narrow"
              inputMode="numeric"
              value={draft.paraphrases}
              onChange={(event) => change({ paraphrases: event.target.value })}
              aria-invalid={show("paraphrases") ? true : undefined}
              data-testid="convert-paraphrases"
            />
            <span className="hint inline-hint">
              {show("paraphrases") ? (
                <span className="field-error">{show("paraphrases")}</span>
              ) : (
                "templates per task (1–10), spread over the rows for variety, FLAN-style"
              )}
            </span>
          </FormRow>
          <FormRow label="Inverted">
            <Toggle checked={draft.inverted} onChange={(inverted) => change({ inverted })} testId="convert-inverted">
              Also add inverted tasks
            </Toggle>
            <div className="hint">Given the label, write a text that fits it: the reverse direction, for diversity.</div>
          </FormRow>
          <FormRow label="Dataset name" htmlFor="convert-name">
            <input
              id="convert-name"
              className="input"
              value={draft.name}
              maxLength={200}
              placeholder="Optional, defaults to the file name"
              onChange={(event) => change({ name: event.target.value })}
              data-testid="convert-name"
            />
          </FormRow>
        </div>
      </section>

      {preview.isError ? (
        <ErrorNotice error={preview.error} title="Could not convert the table" testId="convert-error" />
      ) : null}
      {convert.isError ? (
        <ErrorNotice error={convert.error} title="The dataset was not saved" testId="convert-error" />
      ) : null}

      <div className="form-actions">
        <button type="submit" className="btn btn-lg" disabled={busy} data-testid="convert-preview">
          {preview.isPending ? "Converting…" : "Preview"}
        </button>
        <button
          type="button"
          className="btn btn-primary btn-lg"
          disabled={busy || !preview.isSuccess}
          onClick={onSave}
          data-testid="convert-save"
          title={preview.isSuccess ? undefined : "Preview first"}
        >
          {convert.isPending ? "Saving…" : "Save as dataset"}
        </button>
        <span className="muted small">
          {preview.isSuccess
            ? `Saves ${plural(preview.data.num_examples, "example")}, split 85 / 5 / 10 like an upload; the examples made from one row (or from nearly the same text) stay in one split.`
            : "Preview first: nothing is stored until you save."}
        </span>
      </div>

      {preview.isSuccess ? (
        <section className="card" data-testid="convert-result">
          <div className="card-header">
            <h2 className="card-title">
              {plural(preview.data.num_examples, "example")} from {plural(preview.data.labels.length, "label")}
            </h2>
            <span className="muted small">showing the first {preview.data.items.length}</span>
          </div>
          <div className="convert-labels" data-testid="convert-labels">
            <span className="muted small">Labels</span>
            {preview.data.labels.map((label) => (
              <span className="chip" key={label} data-testid="convert-label">
                {label}
              </span>
            ))}
          </div>
          <div className="table-wrap">
            <table className="table table-text" data-testid="convert-examples">
              <colgroup>
                <col style={{ width: "3rem" }} />
                <col style={{ width: "42%" }} />
                <col />
                <col style={{ width: "20%" }} />
              </colgroup>
              <thead>
                <tr>
                  <th className="num">#</th>
                  <th>Instruction</th>
                  <th>Input</th>
                  <th>Output (trained)</th>
                </tr>
              </thead>
              <tbody>
                {preview.data.items.map((record, index) => (
                  <tr key={index} data-testid="convert-example-row">
                    <td className="num muted">{formatNumber(index + 1)}</td>
                    <td>
                      <div className="text-cell small-text">{record.instruction}</div>
                    </td>
                    <td>
                      <div className="text-cell">{record.input ? record.input : <span className="muted">—</span>}</div>
                    </td>
                    <td>
                      <div className="text-cell strong-text">{record.output}</div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </form>
  );
}
