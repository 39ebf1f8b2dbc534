import { Link } from "react-router";
import type { PresetOut } from "../../../client/types.gen";
import { formatDateTime } from "../../../lib/format";
import { useCanCreate } from "../../../lib/session";
import type { HyperparameterSpec } from "../../../client/types.gen";
import { PresetSettings } from "./PresetSettings";

function PresetActions({ preset, onDelete, deleting }: { preset: PresetOut; onDelete: () => void; deleting: boolean }) {
  // Reviewers save no presets (the API says 403): nothing to duplicate into, nothing of theirs to edit.
  const canCreate = useCanCreate();
  if (!canCreate) return null;
  const duplicate = (
    <Link to={`/presets/new?from=${preset.id}`} className="btn btn-sm" data-testid="preset-duplicate">
      {preset.builtin ? "Duplicate to edit" : "Duplicate"}
    </Link>
  );
  if (preset.builtin) return duplicate;
  return (
    <>
      <Link to={`/presets/${preset.id}/edit`} className="btn btn-sm" data-testid="preset-edit">
        Edit
      </Link>
      {duplicate}
      <button type="button" className="btn btn-sm btn-danger" onClick={onDelete} disabled={deleting} data-testid="preset-delete">
        {deleting ? "Deleting…" : "Delete"}
      </button>
    </>
  );
}

/** One preset: name, version, built-in or not, its description and what it changes from the defaults. */
export function PresetCard({
  preset,
  specs,
  runCount,
  onDelete,
  deleting,
}: {
  preset: PresetOut;
  specs: HyperparameterSpec[];
  runCount: number;
  onDelete: () => void;
  deleting: boolean;
}) {
  return (
    <section className="card preset-card" data-testid="preset-card" data-preset-id={preset.id}>
      <div className="card-header">
        <h2 className="card-title title-with-badge">
          <span data-testid="preset-name">{preset.name}</span>
          <span className="tag mono" data-testid="preset-version" title="each save makes a new version">
            v{preset.version}
          </span>
          {preset.builtin ? (
            <span className="badge badge-builtin" data-testid="preset-builtin">
              built-in · read-only
            </span>
          ) : null}
        </h2>
        <div className="card-actions">
          <PresetActions preset={preset} onDelete={onDelete} deleting={deleting} />
        </div>
      </div>
      <div className="card-body preset-body">
        {preset.description ? (
          <p className="preset-description" data-testid="preset-description">
            {preset.description}
          </p>
        ) : null}
        <PresetSettings hyperparameters={preset.hyperparameters} specs={specs} />
        <div className="muted small">
          {runCount > 0 ? `Used by ${runCount} run${runCount === 1 ? "" : "s"} · ` : "Not used by any run yet · "}
          {preset.builtin ? "ships with the studio" : `created ${formatDateTime(preset.created_at)}`}
        </div>
      </div>
    </section>
  );
}
