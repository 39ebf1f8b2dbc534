import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { RunStatus } from "../../../client/types.gen";
import { catalogQueries } from "../../../lib/catalog";
import { useDebounced } from "../../../lib/useDebounced";

export type RunFilterValues = {
  status: RunStatus[];
  dataset_id: number | null;
  base_model: string | null;
  preset_id: number | null;
  tag: string | null;
  q: string;
};

const STATUSES: RunStatus[] = ["running", "queued", "succeeded", "failed", "cancelled"];

/** A text box that reports what was typed once typing pauses, and follows the value when it changes elsewhere. */
function DebouncedInput({
  value,
  onChange,
  ...props
}: { value: string; onChange: (value: string) => void } & Omit<React.ComponentProps<"input">, "value" | "onChange">) {
  const [draft, setDraft] = useState(value);
  const settled = useDebounced(draft, 300);
  // A value changed elsewhere (Clear, a tag clicked, Back) replaces the draft: adjusted while rendering, as React advises.
  const [shown, setShown] = useState(value);
  if (value !== shown) {
    setShown(value);
    setDraft(value);
  }
  useEffect(() => {
    if (settled.trim() !== value) onChange(settled.trim());
    // Only a settled edit reports; onChange is rebuilt every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settled]);
  return <input {...props} value={draft} onChange={(event) => setDraft(event.target.value)} />;
}

type Choice = { id: number; name: string };

/** The runs list's filters; the page passes the datasets and presets to choose from. */
export function RunFilters({
  values,
  onChange,
  datasets,
  presets,
}: {
  values: RunFilterValues;
  onChange: (next: Partial<RunFilterValues>) => void;
  datasets: Choice[];
  presets: Choice[];
}) {
  const models = useQuery(catalogQueries.models());
  const toggle = (status: RunStatus) =>
    onChange({
      status: values.status.includes(status) ? values.status.filter((s) => s !== status) : [...values.status, status],
    });
  const filtered =
    values.status.length > 0 ||
    values.dataset_id !== null ||
    values.base_model !== null ||
    values.preset_id !== null ||
    values.tag !== null ||
    values.q !== "";
  return (
    <div className="run-filters" data-testid="run-filters">
      <DebouncedInput
        type="search"
        className="input run-filters-search"
        placeholder="Search run names"
        aria-label="Search run names"
        value={values.q}
        onChange={(q) => onChange({ q })}
        data-testid="run-search"
      />
      <div className="run-filters-statuses" role="group" aria-label="Status">
        {STATUSES.map((status) => (
          <button
            key={status}
            type="button"
            className={`status-toggle status-toggle-${status}`}
            aria-pressed={values.status.includes(status)}
            onClick={() => toggle(status)}
            data-testid={`status-filter-${status}`}
          >
            {status}
          </button>
        ))}
      </div>
      <select
        className="select"
        aria-label="Dataset"
        value={values.dataset_id ?? ""}
        onChange={(event) => onChange({ dataset_id: event.target.value ? Number(event.target.value) : null })}
        data-testid="dataset-filter"
      >
        <option value="">Any dataset</option>
        {datasets.map((dataset) => (
          <option key={dataset.id} value={dataset.id}>
            {dataset.name}
          </option>
        ))}
      </select>
      <select
        className="select"
        aria-label="Base model"
        value={values.base_model ?? ""}
        onChange={(event) => onChange({ base_model: event.target.value || null })}
        data-testid="base-model-filter"
      >
        <option value="">Any base model</option>
        {(models.data?.items ?? []).map((model) => (
          <option key={model.name} value={model.name}>
            {model.name}
          </option>
        ))}
      </select>
      <select
        className="select"
        aria-label="Preset"
        value={values.preset_id ?? ""}
        onChange={(event) => onChange({ preset_id: event.target.value ? Number(event.target.value) : null })}
        data-testid="preset-filter"
      >
        <option value="">Any preset</option>
        {presets.map((preset) => (
          <option key={preset.id} value={preset.id}>
            {preset.name}
          </option>
        ))}
      </select>
      <DebouncedInput
        className="input run-filters-tag"
        placeholder="Tag"
        aria-label="Tag"
        value={values.tag ?? ""}
        onChange={(tag) => onChange({ tag: tag || null })}
        data-testid="tag-filter"
      />
      {filtered ? (
        <button
          type="button"
          className="btn btn-sm"
          onClick={() =>
            onChange({ status: [], dataset_id: null, base_model: null, preset_id: null, tag: null, q: "" })
          }
          data-testid="clear-filters"
        >
          Clear
        </button>
      ) : null}
    </div>
  );
}
