import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import type { BaseModelOut, DatasetOut, TemplateOut } from "../../client/types.gen";
import { catalogQueries } from "../../lib/catalog";
import { templateQueries, type TemplateName } from "./api/queries";

/** How the trainer would tokenise: which tokenizer, which template, how long, which tokens are targets. */
export type TokenSettings = {
  baseModel: string;
  /** "" = the dataset's own template. */
  template: TemplateName | "";
  maxSeqLength: number;
  completionOnly: boolean;
};

export type TokenSettingsState = {
  settings: TokenSettings;
  /** The template actually used: the choice, or the dataset's. */
  effectiveTemplate: TemplateName;
  update: (patch: Partial<TokenSettings>) => void;
  models: BaseModelOut[];
  templates: TemplateOut[];
  /** max_seq_length bounds from the hyperparameter schema (the run's own limits). */
  maxSeqRange: { min: number; max: number };
};

/**
 * The settings live in the URL (?model=&template=&max=&co=), so the dataset page and the preview page share
 * them through links. Defaults: the first catalog model and the run defaults of max_seq_length and
 * completion_only_loss, so what is shown is what a run with default settings would train on.
 */
export function useTokenSettings(dataset: DatasetOut): TokenSettingsState | { loading: true; error: unknown } {
  const [params, setParams] = useSearchParams();
  const models = useQuery(catalogQueries.models());
  const specs = useQuery(catalogQueries.hyperparameters());
  const templates = useQuery(templateQueries.list());

  if (!models.data || !specs.data || !templates.data) {
    return { loading: true, error: models.error ?? specs.error ?? templates.error };
  }
  const maxSpec = specs.data.find((s) => s.name === "max_seq_length");
  const coSpec = specs.data.find((s) => s.name === "completion_only_loss");
  const defaultMax = typeof maxSpec?.default === "number" ? maxSpec.default : 512;
  const maxParam = Number(params.get("max"));
  const templateParam = params.get("template");
  const template = templates.data.items.find((t) => t.name === templateParam)?.name ?? "";
  const settings: TokenSettings = {
    baseModel: params.get("model") ?? models.data.items[0]?.name ?? "",
    template,
    maxSeqLength: Number.isInteger(maxParam) && maxParam > 0 ? maxParam : defaultMax,
    completionOnly: params.has("co") ? params.get("co") === "1" : coSpec?.default !== false,
  };
  const update = (patch: Partial<TokenSettings>) => {
    const next = new URLSearchParams(params);
    if (patch.baseModel !== undefined) next.set("model", patch.baseModel);
    if (patch.template !== undefined) {
      if (patch.template) next.set("template", patch.template);
      else next.delete("template");
    }
    if (patch.maxSeqLength !== undefined) next.set("max", String(patch.maxSeqLength));
    if (patch.completionOnly !== undefined) next.set("co", patch.completionOnly ? "1" : "0");
    setParams(next, { replace: true });
  };
  return {
    settings,
    effectiveTemplate: settings.template || dataset.template,
    update,
    models: models.data.items,
    templates: templates.data.items,
    maxSeqRange: { min: maxSpec?.minimum ?? 16, max: maxSpec?.maximum ?? 32768 },
  };
}

/** The URL query that carries the settings to another page (e.g. the dataset page → the preview). */
export function tokenSettingsQuery(settings: TokenSettings): string {
  const search = new URLSearchParams({
    model: settings.baseModel,
    max: String(settings.maxSeqLength),
    co: settings.completionOnly ? "1" : "0",
  });
  if (settings.template) search.set("template", settings.template);
  return search.toString();
}
