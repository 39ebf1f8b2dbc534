import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { DatasetOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { ApiError } from "../../../lib/api";
import { templateQueries, useUpdateDataset, type TemplateName } from "../api/queries";
import { STARTER_TEMPLATE } from "../templates";

/**
 * The dataset's default template for runs. "custom" opens a Jinja editor; saving (PATCH) renders every
 * example with it first, and a 422 names the first row that fails: shown right under the editor.
 */
export function TemplateEditor({ dataset }: { dataset: DatasetOut }) {
  const templates = useQuery(templateQueries.list());
  const update = useUpdateDataset(dataset.id);
  const [template, setTemplate] = useState<TemplateName>(dataset.template);
  const names = templates.data?.items.map((t) => t.name) ?? [dataset.template];
  const [source, setSource] = useState(dataset.custom_template ?? "");
  const [saved, setSaved] = useState(false);

  const isCustom = template === "custom";
  const dirty = template !== dataset.template || (isCustom && source !== (dataset.custom_template ?? ""));
  const description = templates.data?.items.find((t) => t.name === template)?.description;

  const edit = () => {
    setSaved(false);
    if (update.isError) update.reset();
  };

  const save = () => {
    update.mutate(
      isCustom ? { template, custom_template: source } : { template },
      { onSuccess: () => setSaved(true) },
    );
  };

  return (
    <div className="template-editor" data-testid="template-editor">
      <div className="template-row">
        <select
          className="select"
          value={template}
          onChange={(event) => {
            const next = names.find((name) => name === event.target.value) ?? dataset.template;
            setTemplate(next);
            if (next === "custom" && !source.trim()) setSource(STARTER_TEMPLATE);
            edit();
          }}
          aria-label="Prompt template"
          data-testid="template-select"
        >
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
              {name === dataset.template ? " (current)" : ""}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn btn-primary"
          onClick={save}
          disabled={!dirty || update.isPending || (isCustom && !source.trim())}
          data-testid="template-save"
        >
          {update.isPending ? "Checking every example…" : "Save"}
        </button>
        {saved && !dirty ? (
          <span className="saved-flag" data-testid="template-saved">
            Saved
          </span>
        ) : null}
      </div>
      {description ? <div className="hint">{description}</div> : null}
      {isCustom ? (
        <>
          <textarea
            className="textarea mono-text"
            value={source}
            onChange={(event) => {
              setSource(event.target.value);
              edit();
            }}
            spellCheck={false}
            wrap="off"
            rows={Math.min(16, Math.max(6, source.split("\n").length + 1))}
            aria-label="Custom Jinja template"
            aria-invalid={update.isError ? true : undefined}
            data-testid="custom-template-input"
          />
          <div className="hint">
            Jinja, rendered in a sandbox like a Hugging Face chat template: <code>messages</code> (each{" "}
            <code>role</code>, <code>content</code>), <code>add_generation_prompt</code>,{" "}
            <code>raise_exception</code>. <code>bos_token</code> / <code>eos_token</code> render empty: the trainer adds
            them. The text each assistant turn adds is what gets trained; check it in the token preview.
          </div>
        </>
      ) : null}
      {update.isError ? <TemplateError error={update.error} /> : null}
    </div>
  );
}

/**
 * The 422 of a template change lists up to 20 failing rows; when they all fail for the same reason (a template
 * that does not parse, a chat under the plain template) say it once and list the rows.
 */
function TemplateError({ error }: { error: Error }) {
  if (!(error instanceof ApiError) || error.errors.length < 2) {
    return <ErrorNotice error={error} title="The template was not saved" testId="template-error" />;
  }
  const parsed = error.errors.map((line) => /^(?:row|line) (\d+): (.*)$/s.exec(line));
  const reasons = new Set(parsed.map((match) => match?.[2] ?? ""));
  const rows = parsed.map((match) => match?.[1]).filter((row): row is string => row !== undefined);
  if (reasons.size !== 1 || rows.length !== parsed.length) {
    return <ErrorNotice error={error} title="The template was not saved" testId="template-error" />;
  }
  return (
    <div className="notice notice-error" role="alert" data-testid="template-error">
      <div className="notice-title">
        The template was not saved
      </div>
      <div className="notice-message">{[...reasons][0]}</div>
      <div className="notice-message small">
        Rows {rows.join(", ")}
        {rows.length >= 20 ? " and more" : ""} fail the same way. Nothing was changed.
      </div>
    </div>
  );
}
