import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import type { PresetOut } from "../client/types.gen";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { Loading } from "../components/ui/States";
import { presetQueries, useDeletePreset } from "../features/presets/api/queries";
import { PresetCard } from "../features/presets/components/PresetCard";
import { runQueries } from "../features/runs/api/queries";
import { catalogQueries } from "../lib/catalog";
import { useCanCreate } from "../lib/session";

function confirmDelete(preset: PresetOut, runCount: number): boolean {
  const used = runCount > 0 ? `${runCount} run${runCount === 1 ? "" : "s"} used it. ` : "";
  return window.confirm(
    `Delete the preset “${preset.name}” (v${preset.version})? ${used}Runs keep their own snapshot of the settings they trained with.`,
  );
}

export function PresetsPage() {
  const presets = useQuery(presetQueries.list());
  const specs = useQuery(catalogQueries.hyperparameters());
  // One page of one run per preset: its total is how many runs used it.
  const runTotals = useQueries({
    queries: (presets.data?.items ?? []).map((preset) => runQueries.list({ preset_id: preset.id, limit: 1 })),
  });
  const canCreate = useCanCreate();
  const queryClient = useQueryClient();
  // Runs that used the preset keep their snapshot and lose only the link: refresh them too.
  const remove = useDeletePreset({ onDeleted: () => queryClient.invalidateQueries({ queryKey: runQueries.all() }) });
  const runCounts = new Map<number, number>(
    (presets.data?.items ?? []).map((preset, index) => [preset.id, runTotals[index]?.data?.total ?? 0]),
  );
  const failed = presets.error ?? specs.error;

  return (
    <>
      <PageHeader
        title="Presets"
        subtitle="Named sets of hyperparameters a run starts from; anything a preset does not set keeps the studio default. Saving a preset makes its next version, and every run keeps a snapshot of the version it trained with."
        actions={
          canCreate ? (
            <Link to="/presets/new" className="btn btn-primary" data-testid="new-preset-link">
              New preset
            </Link>
          ) : null
        }
      />
      {remove.isError ? <ErrorNotice error={remove.error} title="Could not delete the preset" /> : null}
      {failed ? (
        <ErrorNotice error={failed} title="Could not load presets" />
      ) : presets.data && specs.data ? (
        <div className="preset-list">
          {presets.data.items.map((preset) => (
            <PresetCard
              key={preset.id}
              preset={preset}
              specs={specs.data}
              runCount={runCounts.get(preset.id) ?? 0}
              deleting={remove.isPending && remove.variables === preset.id}
              onDelete={() => {
                if (confirmDelete(preset, runCounts.get(preset.id) ?? 0)) remove.mutate(preset.id);
              }}
            />
          ))}
        </div>
      ) : (
        <Loading />
      )}
    </>
  );
}
