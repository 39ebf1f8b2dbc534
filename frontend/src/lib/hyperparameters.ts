/** Typing a hyperparameter of GET /api/hyperparameters (the generated HyperparameterSpec) into a form and back. */
import type { HyperparameterSpec } from "../client/types.gen";
import { ApiError, fieldMessage } from "./api";

/** What one entry of a list is called in hints and errors ("'3a' is not a layer number"). */
const LIST_ENTRY_NOUNS: Record<string, string> = {
  layers_to_transform: "layer number",
  llm_int8_skip_modules: "module name",
};

export function listEntryNoun(spec: HyperparameterSpec): string {
  return LIST_ENTRY_NOUNS[spec.name] ?? (spec.item_type === "int" ? "whole number" : "name");
}

/** "20, 21, 22" (or "[20, 21, 22]", as the help texts write lists) → [20, 21, 22]. */
function parseList(spec: HyperparameterSpec, value: string): (string | number)[] {
  const entries = value
    .replace(/^\[|\]$/g, "")
    .split(",")
    .map((entry) => entry.trim().replace(/^['"]|['"]$/g, ""));
  const noun = listEntryNoun(spec);
  if (entries.some((entry) => entry === "")) throw new Error(`an entry is empty: separate the ${noun}s with one comma each`);
  if (spec.item_type !== "int") return entries;
  return entries.map((entry) => {
    if (!/^\d+$/.test(entry)) throw new Error(`'${entry}' is not a ${noun}`);
    return Number(entry);
  });
}

/** Turn what the user typed into the override value; throws a readable message when it cannot be parsed. */
function parseOverride(spec: HyperparameterSpec, text: string): unknown {
  const value = text.trim();
  if (spec.type === "bool") return value === "true";
  if (spec.type === "choice" || spec.type === "string") return value;
  if (spec.nullable && value.toLowerCase() === "none") return null;
  if (spec.type === "list") return parseList(spec, value);
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error("must be a number");
  if (spec.type === "int" && !Number.isInteger(parsed)) throw new Error("must be a whole number");
  if (spec.minimum !== null) {
    if (spec.minimum_exclusive && parsed <= spec.minimum) throw new Error(`must be > ${spec.minimum}`);
    if (parsed < spec.minimum) throw new Error(`must be ≥ ${spec.minimum}`);
  }
  if (spec.maximum !== null) {
    if (spec.maximum_exclusive && parsed >= spec.maximum) throw new Error(`must be < ${spec.maximum}`);
    if (parsed > spec.maximum) throw new Error(`must be ≤ ${spec.maximum}`);
  }
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
    if (text === undefined || text.trim() === "") continue;
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
  return spec.type === "list" && Array.isArray(value) ? value.map(String).join(", ") : formatDefault(value);
}

/** "≥ 1, < 1" from the spec's bounds; "" when it has none. */
export function rangeHint(spec: HyperparameterSpec): string {
  const low = spec.minimum === null ? "" : `${spec.minimum_exclusive ? ">" : "≥"} ${spec.minimum}`;
  const high = spec.maximum === null ? "" : `${spec.maximum_exclusive ? "<" : "≤"} ${spec.maximum}`;
  return [low, high].filter(Boolean).join(", ");
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

/** The specs by form section, in the order the API lists them. */
export function groupSpecs(specs: HyperparameterSpec[]): [string, HyperparameterSpec[]][] {
  const groups = new Map<string, HyperparameterSpec[]>();
  for (const spec of specs) groups.set(spec.group, [...(groups.get(spec.group) ?? []), spec]);
  return [...groups];
}
