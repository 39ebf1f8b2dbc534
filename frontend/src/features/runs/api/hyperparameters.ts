/** The JSON schema of GET /api/hyperparameters, narrowed to what the form needs. */
import { ApiError, fieldMessage } from "../../../lib/api";

export type HyperparameterKind = "integer" | "number" | "boolean" | "string" | "enum" | "list";

export type HyperparameterSpec = {
  name: string;
  title: string;
  description: string;
  kind: HyperparameterKind;
  /** A list's entries: whole numbers (layer indices) or names (modules). */
  itemKind: "integer" | "string";
  default: unknown;
  options: string[];
  nullable: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** A constant: shown, never editable. */
  readOnly: boolean;
};

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

export function parseHyperparameterSchema(schema: Json): HyperparameterSpec[] {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const specs: HyperparameterSpec[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    if (!isRecord(raw)) continue;
    // {anyOf: [{type: number, minimum}, {type: null}]} → a nullable number.
    let body: Json = raw;
    let nullable = false;
    if (Array.isArray(raw.anyOf)) {
      const variants = raw.anyOf.filter(isRecord);
      nullable = variants.some((v) => v.type === "null");
      body = { ...(variants.find((v) => v.type !== "null") ?? {}), ...raw };
    }
    const type = body.type;
    const options = Array.isArray(body.enum) ? body.enum.map(String) : [];
    const kind: HyperparameterKind =
      options.length > 0
        ? "enum"
        : type === "integer" || type === "number" || type === "boolean"
          ? type
          : type === "array"
            ? "list"
            : "string";
    const items = isRecord(body.items) ? body.items : {};
    specs.push({
      name,
      title: typeof body.title === "string" ? body.title : name,
      description: typeof body.description === "string" ? body.description : "",
      kind,
      itemKind: items.type === "integer" ? "integer" : "string",
      default: body.default,
      options,
      nullable,
      minimum: num(body.minimum),
      maximum: num(body.maximum),
      exclusiveMinimum: num(body.exclusiveMinimum),
      exclusiveMaximum: num(body.exclusiveMaximum),
      readOnly: "const" in body,
    });
  }
  return specs;
}

/** What one entry of a list is called in hints and errors ("'3a' is not a layer number"). */
const LIST_ENTRY_NOUNS: Record<string, string> = {
  layers_to_transform: "layer number",
  llm_int8_skip_modules: "module name",
};

export function listEntryNoun(spec: HyperparameterSpec): string {
  return LIST_ENTRY_NOUNS[spec.name] ?? (spec.itemKind === "integer" ? "whole number" : "name");
}

/** "20, 21, 22" (or "[20, 21, 22]", as the help texts write lists) → [20, 21, 22]. */
function parseList(spec: HyperparameterSpec, value: string): (string | number)[] {
  const entries = value
    .replace(/^\[|\]$/g, "")
    .split(",")
    .map((entry) => entry.trim().replace(/^['"]|['"]$/g, ""));
  const noun = listEntryNoun(spec);
  if (entries.some((entry) => entry === "")) throw new Error(`an entry is empty: separate the ${noun}s with one comma each`);
  if (spec.itemKind === "string") return entries;
  return entries.map((entry) => {
    if (!/^\d+$/.test(entry)) throw new Error(`'${entry}' is not a ${noun}`);
    return Number(entry);
  });
}

/** Turn what the user typed into the override value; throws a readable message when it cannot be parsed. */
function parseOverride(spec: HyperparameterSpec, text: string): unknown {
  const value = text.trim();
  if (spec.kind === "boolean") return value === "true";
  if (spec.kind === "enum" || spec.kind === "string") return value;
  if (spec.nullable && value.toLowerCase() === "none") return null;
  if (spec.kind === "list") return parseList(spec, value);
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error("must be a number");
  if (spec.kind === "integer" && !Number.isInteger(parsed)) throw new Error("must be a whole number");
  if (spec.minimum !== undefined && parsed < spec.minimum) throw new Error(`must be ≥ ${spec.minimum}`);
  if (spec.maximum !== undefined && parsed > spec.maximum) throw new Error(`must be ≤ ${spec.maximum}`);
  if (spec.exclusiveMinimum !== undefined && parsed <= spec.exclusiveMinimum)
    throw new Error(`must be > ${spec.exclusiveMinimum}`);
  if (spec.exclusiveMaximum !== undefined && parsed >= spec.exclusiveMaximum)
    throw new Error(`must be < ${spec.exclusiveMaximum}`);
  return parsed;
}

/** Every typed override parsed, or the message for each field that cannot be; "" means "not overridden". */
export function parseOverrides(
  specs: HyperparameterSpec[],
  texts: Record<string, string>,
): { values: Record<string, unknown>; errors: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const spec of specs) {
    const text = texts[spec.name];
    if (text === undefined || text.trim() === "" || spec.readOnly) continue;
    try {
      values[spec.name] = parseOverride(spec, text);
    } catch (error) {
      errors[spec.name] = error instanceof Error ? error.message : String(error);
    }
  }
  return { values, errors };
}

/** A stored value as the user would type it (the inverse of parseOverride). */
export function formatOverride(spec: HyperparameterSpec, value: unknown): string {
  return spec.kind === "list" && Array.isArray(value) ? value.map(String).join(", ") : formatDefault(value);
}

/**
 * The hyperparameter a 422 is about and its message without the path: the API names
 * "hyperparameters.lora_r", or "hyperparameters.layers_to_transform.0" for one entry of a list.
 */
export function hyperparameterError(error: unknown): { name: string; message: string } | null {
  if (!(error instanceof ApiError) || !error.field?.startsWith("hyperparameters.")) return null;
  const name = error.field.split(".")[1] ?? "";
  // Pydantic prefixes a validator's own message with "Value error, "; next to the field it is noise.
  return name ? { name, message: fieldMessage(error).replace(/^Value error, /, "") } : null;
}

export function formatDefault(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Rough groups so 50 fields read as sections; the first that matches wins. Unknown names land in "Other". */
const GROUPS: [string, (name: string) => boolean][] = [
  [
    "LoRA / quantisation",
    (n) => ["lora_", "bnb_", "llm_int8_"].some((prefix) => n.startsWith(prefix)) || ["method", "layers_to_transform"].includes(n),
  ],
  [
    "Optimisation",
    (n) =>
      ["learning_rate", "weight_decay", "optim", "max_grad_norm"].includes(n) ||
      ["adam_", "lr_scheduler_", "warmup_"].some((prefix) => n.startsWith(prefix)) ||
      n.includes("label_smoothing") ||
      n.includes("neftune"),
  ],
  [
    "Evaluation & checkpoints",
    (n) =>
      ["eval_", "save_", "logging_", "early_stopping_"].some((prefix) => n.startsWith(prefix)) ||
      ["load_best_model_at_end", "max_loss_spike_factor", "merge_adapter"].includes(n),
  ],
  [
    "Schedule & batching",
    (n) =>
      n.includes("epoch") ||
      n.includes("steps") ||
      n.includes("batch_size") ||
      n.includes("gradient_") ||
      n === "seed" ||
      n === "precision",
  ],
  [
    "Data & generation",
    (n) =>
      n.includes("seq_length") ||
      n.includes("prompt") ||
      n.includes("completion") ||
      n.includes("new_tokens") ||
      ["packing", "padding_free", "group_by_length"].includes(n),
  ],
];

export function groupSpecs(specs: HyperparameterSpec[]): [string, HyperparameterSpec[]][] {
  const groups = new Map<string, HyperparameterSpec[]>();
  for (const spec of specs) {
    const group = GROUPS.find(([, test]) => test(spec.name))?.[0] ?? "Other";
    groups.set(group, [...(groups.get(group) ?? []), spec]);
  }
  const order = [...GROUPS.map(([name]) => name), "Other"];
  return order.filter((name) => groups.has(name)).map((name) => [name, groups.get(name) ?? []]);
}
