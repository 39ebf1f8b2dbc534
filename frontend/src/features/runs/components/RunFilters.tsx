import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { RunStatus } from "../../../client/types.gen";
import { FilterSelect } from "../../../components/ui/FilterSelect";
import { catalogQueries } from "../../../lib/catalog";
import { settledEdit, useDebounced } from "../../../lib/useDebounced";

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
    const edit = settledEdit(settled, draft, value);
    if (edit !== null) onChange(edit);
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
      <FilterSelect
        label="Dataset"
        anyLabel="Any dataset"
        value={values.dataset_id ?? ""}
        onChange={(id) => onChange({ dataset_id: id ? Number(id) : null })}
        options={datasets.map((dataset) => ({ value: dataset.id, label: dataset.name }))}
        testId="dataset-filter"
      />
      <FilterSelect
        label="Base model"
        anyLabel="Any base model"
        value={values.base_model ?? ""}
        onChange={(name) => onChange({ base_model: name || null })}
        options={(models.data?.items ?? []).map((model) => ({ value: model.name, label: model.name }))}
        testId="base-model-filter"
      />
      <FilterSelect
        label="Preset"
        anyLabel="Any preset"
        value={values.preset_id ?? ""}
        onChange={(id) => onChange({ preset_id: id ? Number(id) : null })}
        options={presets.map((preset) => ({ value: preset.id, label: preset.name }))}
        testId="preset-filter"
      />
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
