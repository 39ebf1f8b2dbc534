/** "Run again" with edits: the launch form's starting values from a run's resolved configuration. */
import type { DatasetOut, HyperparameterSpec, PresetOut, RunOut } from "../../client/types.gen";
import { formatOverride } from "../../lib/hyperparameters";

export type RunFormStart = {
  datasetId: string;
  baseModel: string;
  presetId: string;
  /** "" = the dataset's own template. */
  template: string;
  customTemplate: string;
  /** Typed overrides by hyperparameter name, as the form's fields hold them. */
  overrides: Record<string, string>;
  preflight: boolean;
  /** The run's dataset is no longer offered (archived or deleted): the form starts on another. */
  datasetMissing: boolean;
};

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The form that launches `run`'s configuration again. The run's own preset is kept (or the studio defaults when
 * it is gone) and only the values that preset and the defaults no longer give become overrides: every field then
 * shows what the run trained with, and launching unchanged resolves to the same configuration.
 */
export function formFromRun(
  run: RunOut,
  { datasets, presets, specs, fallbackPresetId }: {
    datasets: DatasetOut[];
    presets: PresetOut[];
    specs: HyperparameterSpec[];
    fallbackPresetId: string;
  },
): RunFormStart {
  const dataset = datasets.find((d) => d.id === run.dataset_id);
  const preset = presets.find((p) => p.id === run.preset_id);
  const presetValues = preset?.hyperparameters ?? {};
  const overrides: Record<string, string> = {};
  for (const spec of specs) {
    if (!(spec.name in run.config)) continue;
    const value = run.config[spec.name];
    const inherited = spec.name in presetValues ? presetValues[spec.name] : spec.default;
    if (!same(value, inherited)) overrides[spec.name] = formatOverride(spec, value);
  }
  const template = typeof run.config.prompt_template === "string" ? run.config.prompt_template : "";
  const customTemplate = typeof run.config.custom_template === "string" ? run.config.custom_template : "";
  // The dataset's template needs no choice; another one, or another custom text, does.
  const ownTemplate =
    dataset !== undefined &&
    template === dataset.template &&
    (template !== "custom" || customTemplate === (dataset.custom_template ?? ""));
  return {
    datasetId: String(dataset?.id ?? datasets[0]?.id ?? ""),
    baseModel: run.base_model,
    presetId: preset ? String(preset.id) : fallbackPresetId,
    template: ownTemplate ? "" : template,
    customTemplate: !ownTemplate && template === "custom" ? customTemplate : "",
    overrides,
    preflight: run.preflight,
    datasetMissing: dataset === undefined,
  };
}
