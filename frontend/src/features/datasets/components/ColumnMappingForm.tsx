import { useState, type SubmitEvent } from "react";
import { FieldError } from "../../../components/ui/FormRow";
import type { Shape } from "../api/queries";

type Target = Exclude<Shape, "auto">;
type FieldSpec = { field: string; label: string; required: boolean; hint: string };

const FIELDS: Record<Target, FieldSpec[]> = {
  alpaca: [
    { field: "instruction", label: "Instruction", required: true, hint: "the task" },
    { field: "input", label: "Input", required: false, hint: "the text to act on (optional)" },
    { field: "output", label: "Output", required: true, hint: "the answer to train on" },
  ],
  prompt_completion: [
    { field: "prompt", label: "Prompt", required: true, hint: "what the model reads" },
    { field: "completion", label: "Completion", required: true, hint: "the answer to train on" },
  ],
  chat: [{ field: "messages", label: "Messages", required: true, hint: "a list of {role, content}" }],
};

const TARGET_LABELS: Record<Target, string> = {
  alpaca: "Instruction / input / output",
  prompt_completion: "Prompt / completion",
  chat: "Chat messages",
};

/** Column names that usually mean a field, most specific first. */
const GUESSES: Record<string, string[]> = {
  instruction: ["instruction", "instructions", "question", "query", "task", "text"],
  input: ["input", "context", "passage"],
  output: ["output", "response", "answer", "target", "label"],
  prompt: ["prompt", "question", "query", "input", "text"],
  completion: ["completion", "response", "answer", "output", "target"],
  messages: ["messages", "conversation", "conversations", "chat", "dialog", "dialogue"],
  label: ["label", "labels", "class", "category"],
};

function guessMapping(target: Target, columns: string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  const taken = new Set<string>();
  for (const { field } of [...FIELDS[target], { field: "label" }]) {
    for (const name of GUESSES[field] ?? []) {
      const column = columns.find((c) => c.trim().toLowerCase() === name && !taken.has(c));
      if (column) {
        mapping[field] = column;
        if (field !== "label") taken.add(column);
        break;
      }
    }
  }
  return mapping;
}

/**
 * The file's columns could not be read as a shape: the user says which column is which field.
 * Resubmits the same file with `column_mapping` ({field: column}), plus an optional label column for statistics.
 */
export function ColumnMappingForm({
  fileName,
  columns,
  detail,
  rejectedMapping,
  initialTarget,
  initialMapping,
  busy,
  onSubmit,
  onCancel,
}: {
  fileName: string;
  columns: string[];
  detail: string;
  /** The mapping just sent was refused too: the server's reason is then shown, not only our explanation. */
  rejectedMapping: boolean;
  initialTarget: Target;
  /** The mapping sent last time, to start from instead of a guess. */
  initialMapping: Record<string, string> | null;
  busy: boolean;
  onSubmit: (target: Target, mapping: Record<string, string>) => void;
  onCancel: () => void;
}) {
  const [target, setTarget] = useState<Target>(initialTarget);
  const [mapping, setMapping] = useState<Record<string, string>>(
    () => initialMapping ?? guessMapping(initialTarget, columns),
  );
  const [touched, setTouched] = useState(false);

  const fields = FIELDS[target];
  const missing = fields.filter((f) => f.required && !mapping[f.field]);
  const used = fields.map((f) => mapping[f.field]).filter((c): c is string => Boolean(c));
  const duplicate = used.find((column, index) => used.indexOf(column) !== index);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    if (missing.length > 0 || duplicate) return;
    const chosen: Record<string, string> = {};
    for (const { field } of [...fields, { field: "label" }]) {
      const column = mapping[field];
      if (column) chosen[field] = column;
    }
    onSubmit(target, chosen);
  };

  const select = (field: string, label: string, required: boolean, hint: string) => (
    <label className="mapping-field" key={field}>
      <span className="opt-label">
        {label}
        {required ? <span className="required"> *</span> : <span className="muted"> (optional)</span>}
      </span>
      <select
        className="select"
        value={mapping[field] ?? ""}
        onChange={(event) => setMapping((old) => ({ ...old, [field]: event.target.value }))}
        aria-invalid={touched && required && !mapping[field] ? true : undefined}
        data-testid={`mapping-${field}`}
        disabled={busy}
      >
        <option value="">{required ? "Choose a column…" : "— none —"}</option>
        {columns.map((column) => (
          <option key={column} value={column}>
            {column}
          </option>
        ))}
      </select>
      <span className="hint">{hint}</span>
    </label>
  );

  return (
    <form className="notice notice-action" onSubmit={submit} data-testid="column-mapping-form" noValidate>
      <div className="notice-title">Which column is which in “{fileName}”?</div>
      <div className="notice-message" title={detail}>
        Its columns{" "}
        <span className="inline-chips">
          {columns.map((column) => (
            <code key={column} className="chip mono">
              {column}
            </code>
          ))}
        </span>{" "}
        don't say which holds the instruction and which the answer. Map them; the same file is sent again with this
        mapping.
      </div>
      <div className="mapping-target segmented" role="radiogroup" aria-label="Map to" data-testid="mapping-shape">
        {(Object.keys(FIELDS) as Target[]).map((t) => (
          <button
            key={t}
            type="button"
            role="radio"
            aria-checked={t === target}
            className={t === target ? "active" : ""}
            data-shape={t}
            onClick={() => {
              setTarget(t);
              setMapping(guessMapping(t, columns));
              setTouched(false);
            }}
            disabled={busy}
          >
            {TARGET_LABELS[t]}
          </button>
        ))}
      </div>
      <div className="mapping-grid">
        {fields.map((f) => select(f.field, f.label, f.required, f.hint))}
        {select("label", "Label", false, "class column, for the label chart")}
      </div>
      {rejectedMapping && !touched ? (
        <FieldError testId="mapping-error">That mapping was refused: {detail}</FieldError>
      ) : null}
      {touched && (missing.length > 0 || duplicate) ? (
        <FieldError testId="mapping-error">
          {missing.length > 0
            ? `Choose a column for ${missing.map((f) => f.label.toLowerCase()).join(" and ")}.`
            : `“${duplicate ?? ""}” is used for two fields.`}
        </FieldError>
      ) : null}
      <div className="notice-actions">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="mapping-submit">
          Upload with this mapping
        </button>
        <button type="button" className="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
