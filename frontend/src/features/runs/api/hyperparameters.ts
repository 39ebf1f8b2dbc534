/** The JSON schema of GET /api/hyperparameters, narrowed to what the form needs. */

export type HyperparameterKind = "integer" | "number" | "boolean" | "string" | "enum";

export type HyperparameterSpec = {
  name: string;
  title: string;
  description: string;
  kind: HyperparameterKind;
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
          : "string";
    specs.push({
      name,
      title: typeof body.title === "string" ? body.title : name,
      description: typeof body.description === "string" ? body.description : "",
      kind,
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

/** Turn what the user typed into the override value; throws a readable message when it cannot be parsed. */
export function parseOverride(spec: HyperparameterSpec, text: string): unknown {
  const value = text.trim();
  if (spec.kind === "boolean") return value === "true";
  if (spec.kind === "enum" || spec.kind === "string") return value;
  if (spec.nullable && value.toLowerCase() === "none") return null;
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

export function formatDefault(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Rough groups so 30 fields read as sections. Unknown names land in "Other". */
const GROUPS: [string, (name: string) => boolean][] = [
  ["LoRA / quantisation", (n) => n.startsWith("lora_") || n.startsWith("bnb_") || n === "method"],
  [
    "Optimisation",
    (n) =>
      ["learning_rate", "weight_decay", "lr_scheduler_type", "warmup_ratio", "optim", "max_grad_norm"].includes(n) ||
      n.includes("label_smoothing") ||
      n.includes("neftune"),
  ],
  [
    "Schedule & batching",
    (n) =>
      n.includes("epoch") ||
      n.includes("steps") ||
      n.includes("batch_size") ||
      n.includes("gradient_") ||
      n === "seed",
  ],
  ["Data & generation", (n) => n.includes("seq_length") || n.includes("prompt") || n.includes("completion") || n.includes("new_tokens")],
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
