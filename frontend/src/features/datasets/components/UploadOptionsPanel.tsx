import { useRef } from "react";
import type { TemplateOut } from "../../../client/types.gen";
import { FieldError } from "../../../components/ui/FormRow";
import { Toggle } from "../../../components/ui/Toggle";
import type { Shape, TemplateName } from "../api/queries";
import { ACCEPT, SHAPE_LABELS, type SplitDraft } from "../uploadOptions";

function SplitFile({
  label,
  file,
  testId,
  disabled,
  onChange,
}: {
  label: string;
  file: File | null;
  testId: string;
  disabled: boolean;
  onChange: (file: File | null) => void;
}) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <div className="split-file">
      <span className="opt-label">{label}</span>
      <div className="split-file-row">
        <button type="button" className="btn btn-sm" onClick={() => ref.current?.click()} disabled={disabled}>
          {file ? "Replace…" : "Choose…"}
        </button>
        {file ? (
          <>
            <span className="truncate mono small" title={file.name} data-testid={`${testId}-name`}>
              {file.name}
            </span>
            <button
              type="button"
              className="link-button small"
              onClick={() => {
                onChange(null);
                if (ref.current) ref.current.value = "";
              }}
              disabled={disabled}
            >
              remove
            </button>
          </>
        ) : (
          <span className="muted small">from the ratio</span>
        )}
      </div>
      <input
        ref={ref}
        type="file"
        className="visually-hidden"
        data-testid={testId}
        accept={ACCEPT}
        onChange={(event) => onChange(event.target.files?.[0] ?? null)}
      />
    </div>
  );
}

/** The Options area of the upload: shape, split shares and seed, optional split files, default template. */
export function UploadOptionsPanel({
  shape,
  split,
  splitError,
  validationFile,
  testFile,
  template,
  templates,
  disabled,
  onShape,
  onSplit,
  onValidationFile,
  onTestFile,
  onTemplate,
  groupSimilar,
  onGroupSimilar,
}: {
  shape: Shape;
  split: SplitDraft;
  splitError: string | null;
  validationFile: File | null;
  testFile: File | null;
  template: TemplateName | "";
  templates: TemplateOut[];
  disabled: boolean;
  onShape: (shape: Shape) => void;
  onSplit: (split: SplitDraft) => void;
  onValidationFile: (file: File | null) => void;
  onTestFile: (file: File | null) => void;
  onTemplate: (template: TemplateName | "") => void;
  groupSimilar: boolean;
  onGroupSimilar: (groupSimilar: boolean) => void;
}) {
  const share = (key: keyof SplitDraft, label: string, suffix = "%") => (
    <label className="opt-share">
      <span className="opt-label">{label}</span>
      <span className="input-affix">
        <input
          className="input"
          inputMode="decimal"
          value={split[key]}
          onChange={(event) => onSplit({ ...split, [key]: event.target.value })}
          aria-invalid={splitError ? true : undefined}
          disabled={disabled}
          data-testid={`split-${key}`}
        />
        {suffix ? <span className="affix">{suffix}</span> : null}
      </span>
    </label>
  );
  return (
    <div className="upload-options-grid" data-testid="upload-options">
      <div className="opt-group">
        <label className="opt-label" htmlFor="upload-shape">
          Shape
        </label>
        <select
          id="upload-shape"
          className="select"
          value={shape}
          onChange={(event) => onShape(event.target.value as Shape)}
          disabled={disabled}
          data-testid="upload-shape-select"
        >
          {(Object.keys(SHAPE_LABELS) as Shape[]).map((s) => (
            <option key={s} value={s}>
              {SHAPE_LABELS[s]}
            </option>
          ))}
        </select>
        <div className="hint">Auto-detect reads the fields or column names; a CSV with other names asks for a mapping.</div>
      </div>

      <div className="opt-group">
        <span className="opt-label">Split (train / validation / test) and seed</span>
        <div className="opt-shares">
          {share("train", "Train")}
          {share("validation", "Validation")}
          {share("test", "Test")}
          {share("seed", "Seed", "")}
        </div>
        {splitError ? (
          <FieldError testId="split-error">{splitError}</FieldError>
        ) : (
          <div className="hint">Rows are shuffled with the seed, then cut by these shares; the split is fixed once stored.</div>
        )}
        <Toggle checked={groupSimilar} onChange={onGroupSimilar} testId="upload-group-similar">
          Keep similar prompts in one split
        </Toggle>
        <div className="hint">
          Rows whose prompts share at least 80% of their 3-word sequences go to the same split, so none leaks from
          train into validation/test; the shares are then kept as closely as whole groups allow.
        </div>
      </div>

      <div className="opt-group">
        <span className="opt-label">Own validation / test files (optional)</span>
        <div className="split-files">
          <SplitFile
            label="Validation"
            file={validationFile}
            testId="validation-file-input"
            disabled={disabled}
            onChange={onValidationFile}
          />
          <SplitFile label="Test" file={testFile} testId="test-file-input" disabled={disabled} onChange={onTestFile} />
        </div>
        <div className="hint">A supplied file is that split as it is; the main file is train and fills the rest.</div>
      </div>

      <div className="opt-group">
        <label className="opt-label" htmlFor="upload-template">
          Default prompt template
        </label>
        <select
          id="upload-template"
          className="select"
          value={template}
          onChange={(event) => onTemplate(templates.find((t) => t.name === event.target.value)?.name ?? "")}
          disabled={disabled}
          data-testid="upload-template-select"
        >
          <option value="">Default for the shape (alpaca / plain / chatml)</option>
          {templates
            .filter((t) => t.name !== "custom")
            .map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
        </select>
        <div className="hint">
          {templates.find((t) => t.name === template)?.description ??
            "Runs use it unless they pick another; it can be changed on the dataset page."}
        </div>
      </div>
    </div>
  );
}
