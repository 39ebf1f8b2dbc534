import type { ArtifactOut } from "../../../client/types.gen";
import { formatBytes } from "../../../lib/format";

const ARTIFACT_LABELS: Record<ArtifactOut["name"], string> = {
  adapter: "Adapter",
  merged: "Merged model",
  model: "Model",
};

/** The run's weights as zip downloads: the adapter, and the merged model when merge_adapter was on. */
export function ArtifactLinks({ artifacts }: { artifacts: ArtifactOut[] }) {
  return (
    <span className="download-buttons">
      {artifacts.map((artifact) => (
        <a
          key={artifact.name}
          className="btn btn-sm"
          href={artifact.url}
          download
          data-testid={`artifact-${artifact.name}`}
          title={`${artifact.name}.zip: ${formatBytes(artifact.size_bytes)} before zipping`}
        >
          <svg viewBox="0 0 24 24" className="btn-icon" aria-hidden="true">
            <path
              d="M12 4v11m0 0-4-4m4 4 4-4M5 19h14"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.8"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          {ARTIFACT_LABELS[artifact.name]} .zip <span className="muted">{formatBytes(artifact.size_bytes)}</span>
        </a>
      ))}
    </span>
  );
}
