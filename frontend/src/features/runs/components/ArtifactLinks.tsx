import type { ArtifactOut } from "../../../client/types.gen";
import { DownloadButton } from "../../../components/ui/DownloadButton";
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
        <DownloadButton
          key={artifact.name}
          href={artifact.url}
          testId={`artifact-${artifact.name}`}
          title={`${artifact.name}.zip: ${formatBytes(artifact.size_bytes)} before zipping`}
        >
          {ARTIFACT_LABELS[artifact.name]} .zip <span className="muted">{formatBytes(artifact.size_bytes)}</span>
        </DownloadButton>
      ))}
    </span>
  );
}
