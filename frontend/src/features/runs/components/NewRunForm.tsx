import { useMemo, useState, type ChangeEvent, type SubmitEvent } from "react";
import { Link, useNavigate } from "react-router";
import type {
  BaseModelOut,
  DatasetOut,
  HyperparameterSpec,
  PresetOut,
  RunOut,
  TemplateOut,
} from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError, FormRow } from "../../../components/ui/FormRow";
import { Toggle } from "../../../components/ui/Toggle";
import { ApiError, fieldMessage } from "../../../lib/api";
import { formatNumber, plural } from "../../../lib/format";
import { formatDefault, hyperparameterError } from "../../../lib/hyperparameters";
import { useFocusField } from "../../../lib/focusField";
import { useCreateRun } from "../api/queries";
import { useHyperparameterTexts } from "../../../lib/useHyperparameterTexts";
import { formFromRun } from "../rerun";
import { EstimatePanel } from "./EstimatePanel";
import { RegisterModel } from "./RegisterModel";
import { HyperparameterErrors } from "../../../components/hyperparameters/HyperparameterErrors";
import { HyperparameterFields } from "../../../components/hyperparameters/HyperparameterFields";

type Props = {
  datasets: DatasetOut[];
  models: BaseModelOut[];
  presets: PresetOut[];
  specs: HyperparameterSpec[];
  templates: TemplateOut[];
  initialDatasetId: number | null;
  /** "Run again" with edits: the run whose resolved configuration the form starts from. */
  source: RunOut | null;
};

/** Hyperparameters with their own control at the top of the form, not in the advanced grid. */
const TEMPLATE_FIELDS = ["prompt_template", "custom_template"];

const TOP_FIELDS = ["name", "dataset_id", "base_model", "preset_id"] as const;
/** The control of each field a 422 may name (hyperparameters.<name> are `hp-<name>`). */
const FIELD_CONTROLS: Record<string, string> = {
  name: "run-name",
  dataset_id: "run-dataset",
  base_model: "run-model",
  preset_id: "run-preset",
  prompt_template: "run-template",
  custom_template: "run-template",
};

function controlOf(field: string): string | null {
  const hyperparameter = /^hyperparameters\.([^.]+)/.exec(field)?.[1];
  if (hyperparameter) return FIELD_CONTROLS[hyperparameter] ?? `hp-${hyperparameter}`;
  return FIELD_CONTROLS[field] ?? null;
}
type TopField = (typeof TOP_FIELDS)[number];
type FieldElement = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** The built-in preset that sets nothing: the studio defaults, offered as the default choice. */
function studioDefaults(presets: PresetOut[]): PresetOut | undefined {
  return presets.find((p) => p.builtin && Object.keys(p.hyperparameters).length === 0);
}

export function NewRunForm({ datasets, models, presets, specs: allSpecs, templates, initialDatasetId, source }: Props) {
  const navigate = useNavigate();
  const createRun = useCreateRun();
  const focus = useFocusField();
  const specs = useMemo(() => allSpecs.filter((spec) => !TEMPLATE_FIELDS.includes(spec.name)), [allSpecs]);
  const defaults = studioDefaults(presets);
  const fallbackPresetId = String((defaults ?? presets[0])?.id ?? "");
  // The form is keyed by its source run: this is read once, when it mounts.
  const [start] = useState(() =>
    source ? formFromRun(source, { datasets, presets, specs, fallbackPresetId }) : null,
  );

  // undefined = "not chosen yet": fall back to a sensible default derived from the loaded lists.
  const [name, setName] = useState("");
  const [datasetChoice, setDatasetChoice] = useState<string | undefined>(start?.datasetId);
  const [modelChoice, setModelChoice] = useState<string | undefined>(start?.baseModel);
  const [presetChoice, setPresetChoice] = useState<string | undefined>(start?.presetId);
  // A run's differences from its preset are shown open: they are what made it that run.
  const [advancedOpen, setAdvancedOpen] = useState(start ? Object.keys(start.overrides).length > 0 : false);
  // "" = the dataset's own template (the run snapshot then names it).
  const [templateChoice, setTemplateChoice] = useState(start?.template ?? "");
  const [customTemplate, setCustomTemplate] = useState(start?.customTemplate ?? "");
  const [preflight, setPreflight] = useState(start?.preflight ?? false);
  const overrides = useHyperparameterTexts(specs, start?.overrides ?? {}, createRun.error);

  const initialDataset = datasets.find((d) => d.id === initialDatasetId) ?? datasets[0];
  const datasetId = datasetChoice ?? (initialDataset ? String(initialDataset.id) : "");
  const baseModel = modelChoice ?? models[0]?.name ?? "";
  const presetId = presetChoice ?? fallbackPresetId;

  const dataset = datasets.find((d) => String(d.id) === datasetId);
  const model = models.find((m) => m.name === baseModel);
  const preset = presets.find((p) => String(p.id) === presetId);
  const presetValues = preset?.hyperparameters ?? {};

  // A 422 names its field: "hyperparameters.learning_rate" or a top-level one like "dataset_id".
  const apiError = createRun.error instanceof ApiError ? createRun.error : null;
  const hpError = hyperparameterError(createRun.error);
  const templateError = hpError && TEMPLATE_FIELDS.includes(hpError.name) ? hpError.message : null;
  const serverTopField = TOP_FIELDS.find((f) => f === apiError?.field) ?? null;
  const topError = (field: TopField) => (apiError && serverTopField === field ? fieldMessage(apiError) : null);
  const generalError =
    createRun.error && !overrides.serverFieldError && !serverTopField && !templateError ? createRun.error : null;

  const changedCount = Object.values(overrides.texts).filter((v) => v !== "").length;

  const edit = () => {
    if (createRun.isError) createRun.reset();
  };
  // A control's onChange: keep what was chosen or typed, and clear a failed launch's error.
  const editing = (set: (value: string) => void) => (event: ChangeEvent<FieldElement>) => {
    set(event.target.value);
    edit();
  };

  // What the run is made of, as both the estimate and the launch send it.
  const hyperparameters: Record<string, unknown> = { ...overrides.parsed.values };
  if (templateChoice) hyperparameters.prompt_template = templateChoice;
  if (templateChoice === "custom" && customTemplate.trim()) hyperparameters.custom_template = customTemplate;
  const runRequest = {
    dataset_id: dataset?.id ?? 0,
    base_model: baseModel,
    preset_id: preset ? preset.id : null,
    hyperparameters,
  };

  const onSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!overrides.check()) {
      setAdvancedOpen(true);
      const firstInvalid = specs.find((spec) => spec.name in overrides.parsed.errors);
      if (firstInvalid) focus(`hp-${firstInvalid.name}`);
      return;
    }
    if (!dataset) return;
    createRun.mutate(
      { ...runRequest, name: name.trim() ? name.trim() : null, preflight },
      {
        onSuccess: (run) => void navigate(`/runs/${run.id}`),
        onError: (error) => {
          if (!(error instanceof ApiError) || !error.field) return;
          if (error.field.startsWith("hyperparameters.")) setAdvancedOpen(true);
          const control = controlOf(error.field);
          if (control) focus(control);
        },
      },
    );
  };

  if (datasets.length === 0) {
    return (
      <div className="notice">
        <div className="notice-title">No datasets yet</div>
        <div className="notice-message">
          A run fine-tunes on a dataset. <Link to="/datasets">Upload one first</Link>.
        </div>
      </div>
    );
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate data-testid="new-run-form">
      {source ? (
        <div className="notice" data-testid="run-based-on">
          <div className="notice-title">
            <span className="run-based-on-title">
              Based on run <Link to={`/runs/${source.id}`}>#{source.id}</Link> “{source.name}”
            </span>
          </div>
          <div className="notice-message">
            Its dataset, base model, preset and every hyperparameter as the run resolved them
            {start?.datasetMissing ? "" : ", on the dataset's current split"}: edit what should differ, then launch.
            {start?.datasetMissing ? (
              <strong> Its dataset #{source.dataset_id} is archived or deleted: choose another.</strong>
            ) : null}
          </div>
        </div>
      ) : null}
      <section className="card">
        <div className="card-body form-grid">
          <FormRow label="Dataset" htmlFor="run-dataset">
            <select
              id="run-dataset"
              className="select"
              data-testid="run-dataset-select"
              value={datasetId}
              onChange={editing(setDatasetChoice)}
              aria-invalid={topError("dataset_id") ? true : undefined}
            >
              {datasets.map((d) => (
                <option key={d.id} value={String(d.id)}>
                  {d.name} (#{d.id}, {plural(d.num_rows, "row")})
                </option>
              ))}
            </select>
            <FieldError>{topError("dataset_id")}</FieldError>
            {dataset ? (
              <div className="hint">
                {formatNumber(dataset.num_train)} train · {formatNumber(dataset.num_validation)} validation ·{" "}
                {formatNumber(dataset.num_test)} test. Training uses the train split; validation loss is measured on
                the validation split, first for the base model, then while fine-tuning.
              </div>
            ) : null}
          </FormRow>

          <FormRow label="Base model" htmlFor="run-model">
            <select
              id="run-model"
              className="select"
              data-testid="run-model-select"
              value={baseModel}
              onChange={editing(setModelChoice)}
              aria-invalid={topError("base_model") ? true : undefined}
            >
              {models.map((m) => (
                <option key={m.id} value={m.name}>
                  {m.name}
                </option>
              ))}
            </select>
            <FieldError>{topError("base_model")}</FieldError>
            {model ? (
              <div className="hint">
                {model.description} <span className="tag">{model.source}</span>
              </div>
            ) : null}
            <RegisterModel
              onRegistered={(registered) => {
                setModelChoice(registered.name);
                edit();
              }}
            />
          </FormRow>

          <FormRow label="Prompt template" htmlFor="run-template">
            <select
              id="run-template"
              className="select"
              data-testid="run-template-select"
              value={templateChoice}
              onChange={editing(setTemplateChoice)}
              aria-invalid={templateError ? true : undefined}
            >
              <option value="">Dataset's template{dataset ? ` (${dataset.template})` : ""}</option>
              {templates.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
            <FieldError>{templateError}</FieldError>
            <div className="hint" data-testid="run-template-description">
              {templateChoice
                ? templates.find((t) => t.name === templateChoice)?.description
                : "How each example becomes text for training and generation; the dataset page shows its tokens."}{" "}
              {dataset ? (
                <Link
                  to={`/datasets/${dataset.id}/preview?model=${encodeURIComponent(baseModel)}${
                    templateChoice ? `&template=${templateChoice}` : ""
                  }`}
                >
                  Preview the tokens
                </Link>
              ) : null}
            </div>
            {templateChoice === "custom" ? (
              <textarea
                className="textarea mono-text textarea-below"
                rows={6}
                wrap="off"
                value={customTemplate}
                placeholder={
                  dataset?.custom_template
                    ? "Empty: the dataset's custom template"
                    : "Jinja over messages / add_generation_prompt, like a chat template"
                }
                onChange={editing(setCustomTemplate)}
                spellCheck={false}
                data-testid="run-custom-template"
              />
            ) : null}
          </FormRow>

          <FormRow label="Preset" htmlFor="run-preset">
            <select
              id="run-preset"
              className="select"
              data-testid="run-preset-select"
              value={presetId}
              onChange={editing(setPresetChoice)}
              aria-invalid={topError("preset_id") ? true : undefined}
            >
              {/* The studio-defaults preset is "no preset"; offer the choice once. */}
              {defaults ? null : <option value="">No preset (studio defaults)</option>}
              {presets.map((p) => (
                <option key={p.id} value={String(p.id)}>
                  {p.name}
                  {p.builtin ? "" : " (custom)"}
                </option>
              ))}
            </select>
            <FieldError>{topError("preset_id")}</FieldError>
            <div className="hint" data-testid="preset-description">
              {preset ? preset.description || "No description." : "Every hyperparameter at its default."}
            </div>
            {preset && Object.keys(presetValues).length > 0 ? (
              <div className="chips">
                {Object.entries(presetValues).map(([key, value]) => (
                  <span key={key} className="chip mono">
                    {key}={formatDefault(value)}
                  </span>
                ))}
              </div>
            ) : null}
          </FormRow>

          <FormRow label="Pre-flight">
            <Toggle checked={preflight} onChange={setPreflight} testId="run-preflight">
              Pre-flight dry run
            </Toggle>
            <div className="hint">
              Trains 3 steps of this exact configuration first and throws them away, to measure memory and seconds per
              step: running out of memory shows within a minute, and the run page gets a measured ETA. Costs those
              steps and one more model load.
            </div>
          </FormRow>

          <FormRow label="Name" htmlFor="run-name">
            <input
              id="run-name"
              className="input"
              type="text"
              maxLength={200}
              placeholder="Optional — a name is generated otherwise"
              value={name}
              onChange={editing(setName)}
              data-testid="run-name-input"
              aria-invalid={topError("name") ? true : undefined}
            />
            <FieldError>{topError("name")}</FieldError>
          </FormRow>
        </div>
      </section>

      <details
        className="card collapsible"
        open={advancedOpen}
        onToggle={(event) => setAdvancedOpen(event.currentTarget.open)}
        data-testid="advanced-hyperparameters"
      >
        <summary>
          <span className="collapsible-title">Advanced hyperparameters</span>
          <span className="muted small">
            {changedCount > 0
              ? `${changedCount} override${changedCount === 1 ? "" : "s"} on top of the preset`
              : "Optional: leave blank to keep the preset's or default value"}
          </span>
          {changedCount > 0 ? (
            <button
              type="button"
              className="link-button small summary-action"
              onClick={(event) => {
                event.preventDefault();
                overrides.reset();
                edit();
              }}
            >
              Reset all
            </button>
          ) : null}
        </summary>
        <div className="collapsible-body">
          <HyperparameterFields
            specs={specs}
            values={overrides.texts}
            presetValues={presetValues}
            errors={overrides.errors}
            onChange={(field, value) => {
              overrides.change(field, value);
              edit();
            }}
          />
        </div>
      </details>

      <EstimatePanel request={runRequest} invalidFields={Object.keys(overrides.parsed.errors)} />

      {generalError ? <ErrorNotice error={generalError} title="The run was not created" testId="run-create-error" /> : null}
      <HyperparameterErrors
        title="The run was not created: fix the highlighted hyperparameters"
        errors={overrides.errors}
        testId="run-create-error"
      />

      <div className="form-actions">
        <button type="submit" className="btn btn-primary btn-lg" data-testid="launch-run" disabled={createRun.isPending || !dataset}>
          {createRun.isPending ? "Launching…" : "Launch run"}
        </button>
        <span className="muted small">
          {dataset ? `Fine-tunes ${baseModel || "the base model"} on “${dataset.name}”` : ""}
          {preset ? ` with “${preset.name}”` : ""}
          {templateChoice ? `, template ${templateChoice}` : ""}
          {changedCount > 0 ? ` + ${changedCount} override${changedCount === 1 ? "" : "s"}` : ""}
          {preflight ? ", after a pre-flight" : ""}.
        </span>
      </div>
    </form>
  );
}
