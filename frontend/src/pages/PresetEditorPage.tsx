import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import type { PresetCreate, PresetOut } from "../client/types.gen";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Loading } from "../components/ui/States";
import { presetQueries, useCreatePreset, useUpdatePreset } from "../features/presets/api/queries";
import { PresetForm } from "../features/presets/components/PresetForm";
import type { HyperparameterSpec } from "../client/types.gen";
import { catalogQueries } from "../lib/catalog";
import { ReviewerNotice } from "../components/ui/ReviewerNotice";
import { useCanCreate } from "../lib/session";

const breadcrumb = <Link to="/presets">Presets</Link>;

function positiveId(value: string | null | undefined): number | null {
  const id = Number(value);
  return Number.isInteger(id) && id > 0 ? id : null;
}

/** /presets/new (optionally ?from=<id>: a copy) and /presets/:id/edit. */
export function PresetEditorPage() {
  if (!useCanCreate()) return <ReviewerNotice what="Reviewers do not save presets" />;
  return <PresetEditor />;
}

function PresetEditor() {
  const editId = positiveId(useParams().id);
  const fromId = positiveId(useSearchParams()[0].get("from"));
  const sourceId = editId ?? fromId;
  const specs = useQuery(catalogQueries.hyperparameters());
  const source = useQuery({ ...presetQueries.detail(sourceId ?? 0), enabled: sourceId !== null });

  const failed = specs.error ?? source.error;
  if (failed) return <ErrorNotice error={failed} title="Could not load the preset" />;
  if (!specs.data || (sourceId !== null && !source.data)) return <Loading />;
  if (editId !== null && source.data) return <EditPreset preset={source.data} specs={specs.data} />;
  return <CreatePreset copyOf={source.data ?? null} specs={specs.data} />;
}

function CreatePreset({ copyOf, specs }: { copyOf: PresetOut | null; specs: HyperparameterSpec[] }) {
  const navigate = useNavigate();
  const create = useCreatePreset();
  return (
    <>
      <PageHeader
        breadcrumb={breadcrumb}
        title={copyOf ? `Copy of “${copyOf.name}”` : "New preset"}
        subtitle={
          copyOf
            ? `Starts from v${copyOf.version} of “${copyOf.name}”, which stays as it is. Rename it and change what you need.`
            : "Set only what should differ from the studio defaults; every field says what it trades off."
        }
      />
      <PresetForm
        key={copyOf?.id ?? "new"}
        initial={copyOf ? { ...copyOf, name: `${copyOf.name} (copy)` } : null}
        specs={specs}
        submitLabel="Create preset"
        pending={create.isPending}
        error={create.error}
        onEdit={() => create.isError && create.reset()}
        onSubmit={(body: PresetCreate) => create.mutate(body, { onSuccess: () => void navigate("/presets") })}
      />
    </>
  );
}

function EditPreset({ preset, specs }: { preset: PresetOut; specs: HyperparameterSpec[] }) {
  const navigate = useNavigate();
  const update = useUpdatePreset(preset.id);
  if (preset.builtin) {
    return (
      <>
        <PageHeader breadcrumb={breadcrumb} title={preset.name} />
        <div className="notice" data-testid="preset-builtin-notice">
          <div className="notice-title">Built-in presets are read-only</div>
          <div className="notice-message">
            <Link to={`/presets/new?from=${preset.id}`}>Duplicate it</Link> and change the copy.
          </div>
        </div>
      </>
    );
  }
  return (
    <>
      <PageHeader
        breadcrumb={breadcrumb}
        title={
          <span className="title-with-badge">
            Edit “{preset.name}” <span className="tag mono">v{preset.version}</span>
          </span>
        }
        subtitle={`Saving makes version ${preset.version + 1}. Runs that used v${preset.version} or earlier keep the snapshot they trained with.`}
      />
      <PresetForm
        key={preset.id}
        initial={preset}
        specs={specs}
        submitLabel={`Save as v${preset.version + 1}`}
        pending={update.isPending}
        error={update.error}
        onEdit={() => update.isError && update.reset()}
        onSubmit={(body: PresetCreate) => update.mutate(body, { onSuccess: () => void navigate("/presets") })}
      />
    </>
  );
}
