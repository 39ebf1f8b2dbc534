import { describe, expect, it } from "vitest";
import type { DatasetOut, HyperparameterSpec, PresetOut, RunOut } from "../../client/types.gen";
import { formFromRun } from "./rerun";

function spec(name: string, type: HyperparameterSpec["type"], value: HyperparameterSpec["default"]): HyperparameterSpec {
  return {
    name,
    type,
    item_type: type === "list" ? "int" : null,
    default: value,
    nullable: false,
    minimum: null,
    minimum_exclusive: false,
    maximum: null,
    maximum_exclusive: false,
    choices: [],
    group: "Training",
    help: "",
    default_label: null,
  };
}

const specs = [
  spec("learning_rate", "float", 0.0002),
  spec("lora_r", "int", 16),
  spec("layers_to_transform", "list", null),
  spec("packing", "bool", false),
];
const dataset = { id: 3, template: "alpaca", custom_template: null } as DatasetOut;
const preset = { id: 7, name: "quick", hyperparameters: { lora_r: 8 } } as unknown as PresetOut;

function run(config: Record<string, unknown>, extra: Partial<RunOut> = {}): RunOut {
  return {
    id: 12,
    dataset_id: 3,
    base_model: "/models/tiny",
    preset_id: 7,
    preflight: false,
    config: { prompt_template: "alpaca", custom_template: null, ...config },
    ...extra,
  } as RunOut;
}

const lists = { datasets: [dataset], presets: [preset], specs, fallbackPresetId: "1" };

describe("formFromRun", () => {
  it("keeps the run's dataset, model and preset, and overrides nothing the preset and defaults give", () => {
    const start = formFromRun(run({ learning_rate: 0.0002, lora_r: 8, layers_to_transform: null, packing: false }), lists);
    expect(start).toMatchObject({ datasetId: "3", baseModel: "/models/tiny", presetId: "7", template: "" });
    expect(start.overrides).toEqual({});
    expect(start.datasetMissing).toBe(false);
  });

  it("overrides, as typed, each value that differs from the preset's or the default", () => {
    const start = formFromRun(run({ learning_rate: 0.0005, lora_r: 16, layers_to_transform: [20, 21], packing: true }), lists);
    expect(start.overrides).toEqual({ learning_rate: "0.0005", lora_r: "16", layers_to_transform: "20, 21", packing: "true" });
  });

  it("falls back to the studio defaults when the run's preset is gone, overriding what the preset had set", () => {
    const start = formFromRun(run({ lora_r: 8 }, { preset_id: null }), lists);
    expect(start.presetId).toBe("1");
    expect(start.overrides).toEqual({ lora_r: "8" });
  });

  it("names a template other than the dataset's, and a custom text", () => {
    expect(formFromRun(run({ prompt_template: "chatml" }), lists).template).toBe("chatml");
    const custom = formFromRun(run({ prompt_template: "custom", custom_template: "{{ messages }}" }), lists);
    expect([custom.template, custom.customTemplate]).toEqual(["custom", "{{ messages }}"]);
  });

  it("says when the run's dataset is no longer offered", () => {
    const start = formFromRun(run({}, { dataset_id: 99 }), lists);
    expect(start.datasetMissing).toBe(true);
    expect(start.datasetId).toBe("3");
  });
});
