import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Loading } from "../components/ui/States";
import { datasetQueries, templateQueries } from "../features/datasets/api/queries";
import { presetQueries } from "../features/presets/api/queries";
import { catalogQueries } from "../lib/catalog";
import { NewRunForm } from "../features/runs/components/NewRunForm";
import { ReviewerNotice } from "../components/ui/ReviewerNotice";
import { useCanCreate } from "../lib/session";

export function NewRunPage() {
  if (!useCanCreate()) return <ReviewerNotice what="Reviewers do not launch runs" />;
  return <NewRun />;
}

function NewRun() {
  const [params] = useSearchParams();
  const datasetParam = Number(params.get("dataset"));
  const datasets = useQuery(datasetQueries.list());
  const models = useQuery(catalogQueries.models());
  const presets = useQuery(presetQueries.list());
  const hyperparameters = useQuery(catalogQueries.hyperparameters());
  const templates = useQuery(templateQueries.list());
  const queries = [datasets, models, presets, hyperparameters, templates];
  const failed = queries.find((q) => q.isError);

  return (
    <>
      <PageHeader
        title="New run"
        subtitle="LoRA fine-tuning of a base model on a dataset's train split. The base model's validation loss is measured first, so the result can be compared with it."
      />
      {failed ? (
        <ErrorNotice error={failed.error} title="Could not load what a run needs" />
      ) : datasets.data && models.data && presets.data && hyperparameters.data && templates.data ? (
        <NewRunForm
          datasets={datasets.data.items}
          models={models.data.items}
          presets={presets.data.items}
          specs={hyperparameters.data}
          templates={templates.data.items}
          initialDatasetId={Number.isInteger(datasetParam) && datasetParam > 0 ? datasetParam : null}
        />
      ) : (
        <Loading />
      )}
    </>
  );
}
