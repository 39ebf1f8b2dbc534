import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Loading } from "../components/ui/States";
import { datasetQueries, templateQueries } from "../features/datasets/api/queries";
import { presetQueries } from "../features/presets/api/queries";
import { catalogQueries } from "../lib/catalog";
import { runQueries } from "../features/runs/api/queries";
import { NewRunForm } from "../features/runs/components/NewRunForm";
import { ReviewerNotice } from "../components/ui/ReviewerNotice";
import { useCanCreate } from "../lib/session";

export function NewRunPage() {
  if (!useCanCreate()) return <ReviewerNotice what="Reviewers do not launch runs" />;
  return <NewRun />;
}

function positiveId(value: string | null): number | null {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : null;
}

function NewRun() {
  const [params] = useSearchParams();
  const datasetId = positiveId(params.get("dataset"));
  // ?from=12: "Run again" with edits, starting from run 12's resolved configuration.
  const sourceId = positiveId(params.get("from"));
  const datasets = useQuery(datasetQueries.list());
  const models = useQuery(catalogQueries.models());
  const presets = useQuery(presetQueries.list());
  const hyperparameters = useQuery(catalogQueries.hyperparameters());
  const templates = useQuery(templateQueries.list());
  const source = useQuery({ ...runQueries.detail(sourceId ?? 0), enabled: sourceId !== null });
  const queries = [datasets, models, presets, hyperparameters, templates, source];
  const failed = queries.find((q) => q.isError);
  const sourceReady = sourceId === null || source.data !== undefined;

  return (
    <>
      <PageHeader
        title={sourceId === null ? "New run" : `Run #${sourceId} again`}
        subtitle="LoRA fine-tuning of a base model on a dataset's train split. The base model's validation loss is measured first, so the result can be compared with it."
      />
      {failed ? (
        <ErrorNotice error={failed.error} title="Could not load what a run needs" />
      ) : datasets.data && models.data && presets.data && hyperparameters.data && templates.data && sourceReady ? (
        <NewRunForm
          key={sourceId ?? "new"}
          datasets={datasets.data.items}
          models={models.data.items}
          presets={presets.data.items}
          specs={hyperparameters.data}
          templates={templates.data.items}
          initialDatasetId={datasetId}
          source={sourceId === null ? null : (source.data ?? null)}
        />
      ) : (
        <Loading />
      )}
    </>
  );
}
