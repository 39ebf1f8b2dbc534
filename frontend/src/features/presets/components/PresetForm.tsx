import { useEffect, useState, type SubmitEvent } from "react";
import { Link } from "react-router";
import type { HyperparameterSpec, PresetCreate, PresetOut } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError, FormRow } from "../../../components/ui/FormRow";
import { ApiError, fieldMessage } from "../../../lib/api";
import { focusElement, useFocusField } from "../../../lib/focusField";
import { HyperparameterErrors } from "../../../components/hyperparameters/HyperparameterErrors";
import { HyperparameterFields } from "../../../components/hyperparameters/HyperparameterFields";
import { formatOverride } from "../../../lib/hyperparameters";
import { useHyperparameterTexts } from "../../../lib/useHyperparameterTexts";

/** The template belongs to the run (it depends on the dataset): the run form picks it, not the preset editor. */
const RUN_ONLY_FIELDS = ["prompt_template", "custom_template"];

type Props = {
  /** What the form starts from: the preset being edited, a copy's source, or nothing. */
  initial: Pick<PresetOut, "name" | "description" | "hyperparameters"> | null;
  specs: HyperparameterSpec[];
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (body: PresetCreate) => void;
  onEdit: () => void;
};

function initialTexts(specs: HyperparameterSpec[], values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    specs.filter((spec) => spec.name in values).map((spec) => [spec.name, formatOverride(spec, values[spec.name])]),
  );
}

/** Name, description and the hyperparameters a preset sets, with the new run form's fields. */
export function PresetForm({ initial, specs: allSpecs, submitLabel, pending, error, onSubmit, onEdit }: Props) {
  const specs = allSpecs.filter((spec) => !RUN_ONLY_FIELDS.includes(spec.name));
  const stored = initial?.hyperparameters ?? {};
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");

  // A 422 names its field: "name", "description" or "hyperparameters.<name>"; show it there.
  const hp = useHyperparameterTexts(specs, () => initialTexts(specs, stored), error);
  const apiError = error instanceof ApiError ? error : null;
  const topError = (field: "name" | "description") =>
    apiError?.field === field ? fieldMessage(apiError) : null;
  const unplaced = error && !hp.serverFieldError && !topError("name") && !topError("description") ? error : null;
  const setCount = Object.values(hp.texts).filter((text) => text.trim() !== "").length;

  const focus = useFocusField();
  // A 422 that names a field: bring that field into view (the summary is below the whole form).
  useEffect(() => {
    if (!(error instanceof ApiError) || !error.field) return;
    const hyperparameter = /^hyperparameters\.([^.]+)/.exec(error.field)?.[1];
    focusElement(hyperparameter ? `hp-${hyperparameter}` : `preset-${error.field}`);
  }, [error]);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!hp.check()) {
      const firstInvalid = specs.find((spec) => spec.name in hp.parsed.errors);
      if (firstInvalid) focus(`hp-${firstInvalid.name}`);
      return;
    }
    // Keep what this form does not edit (a template set through the API) as it was.
    const kept = Object.fromEntries(Object.entries(stored).filter(([key]) => RUN_ONLY_FIELDS.includes(key)));
    onSubmit({ name: name.trim(), description: description.trim(), hyperparameters: { ...kept, ...hp.parsed.values } });
  };

  return (
    <form className="form form-wide" onSubmit={submit} noValidate data-testid="preset-form">
      <section className="card">
        <div className="card-body form-grid">
          <FormRow label="Name" htmlFor="preset-name">
            <input
              id="preset-name"
              className="input"
              maxLength={200}
              value={name}
              onChange={(event) => {
                setName(event.target.value);
                onEdit();
              }}
              aria-invalid={topError("name") ? true : undefined}
              data-testid="preset-name-input"
            />
            <FieldError>{topError("name")}</FieldError>
          </FormRow>
          <FormRow label="Description" htmlFor="preset-description">
            <textarea
              id="preset-description"
              className="textarea"
              rows={3}
              placeholder="What it is for, where the values come from, what it trades off"
              value={description}
              onChange={(event) => {
                setDescription(event.target.value);
                onEdit();
              }}
              aria-invalid={topError("description") ? true : undefined}
              data-testid="preset-description-input"
            />
            <FieldError>{topError("description")}</FieldError>
          </FormRow>
        </div>
      </section>

      <section className="card">
        <div className="card-header">
          <h2 className="card-title">Hyperparameters</h2>
          <span className="muted small" data-testid="preset-set-count">
            {setCount === 0 ? "Sets nothing yet: blank fields keep the studio default" : `Sets ${setCount}; blank fields keep the studio default`}
          </span>
        </div>
        <div className="card-body">
          <HyperparameterFields
            specs={specs}
            values={hp.texts}
            presetValues={{}}
            errors={hp.errors}
            onChange={(field, value) => {
              hp.change(field, value);
              onEdit();
            }}
          />
        </div>
      </section>

      <HyperparameterErrors
        title="Not saved: fix the highlighted hyperparameters"
        errors={hp.errors}
        testId="preset-field-errors"
      />
      {unplaced ? <ErrorNotice error={unplaced} title="Not saved" testId="preset-save-error" /> : null}

      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={pending} data-testid="preset-save">
          {pending ? "Saving…" : submitLabel}
        </button>
        <Link to="/presets" className="btn">
          Cancel
        </Link>
      </div>
    </form>
  );
}
