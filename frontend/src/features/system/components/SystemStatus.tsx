import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { WorkerOut } from "../../../client/types.gen";
import { formatMemory, formatRelative } from "../../../lib/format";
import { systemQueries } from "../api/queries";

/** "1 training worker · cpu · 25 GB": what runs can train on now (light workers only count tokens). */
function workersSummary(workers: WorkerOut[]): string {
  const training = workers.filter((worker) => worker.queues.includes("training"));
  if (training.length === 0) return "no training worker";
  const devices = [...new Set(training.map((worker) => worker.device))].join(", ");
  const memories = training.map((worker) => worker.memory_bytes);
  const [low, high] = [Math.min(...memories), Math.max(...memories)];
  const memory = low === high ? formatMemory(low) : `${formatMemory(low)}–${formatMemory(high)}`;
  return `${training.length} training worker${training.length === 1 ? "" : "s"} · ${devices} · ${memory}`;
}

/** One line per worker, for the summary's tooltip. */
function workersTitle(workers: WorkerOut[]): string {
  if (workers.length === 0) return "No worker is running: runs and token counts wait in their queues.";
  return workers
    .map(
      (worker) =>
        `${worker.hostname} (${worker.queues.join(", ")}): ${worker.device}, ${worker.device_name}` +
        `${worker.device_count > 1 ? ` × ${worker.device_count}` : ""}, ${formatMemory(worker.memory_bytes)}, ` +
        `${worker.cpu_count} CPUs, started ${formatRelative(worker.started_at)}`,
    )
    .join("\n");
}

function WorkersStatus() {
  const workers = useQuery(systemQueries.workers());
  if (!workers.isSuccess) return null;
  const items = workers.data.items;
  const training = items.some((worker) => worker.queues.includes("training"));
  return (
    <Link to="/workers" className="sidebar-status" data-testid="workers-summary" title={workersTitle(items)}>
      <span className={`health-dot ${training ? "health-ok" : "health-warn"}`} aria-hidden="true" />
      {workersSummary(items)}
    </Link>
  );
}

function ApiHealth() {
  const health = useQuery(systemQueries.health());
  return (
    <div className="sidebar-status" data-testid="api-health">
      <span
        className={`health-dot ${health.isSuccess ? "health-ok" : health.isError ? "health-down" : ""}`}
        aria-hidden="true"
      />
      {health.isSuccess
        ? `API ${health.data.status} · v${health.data.version}`
        : health.isError
          ? "API unreachable"
          : "Connecting…"}
    </div>
  );
}

/** The sidebar's footer: is the API up, and what can runs train on now. */
export function SystemStatus() {
  return (
    <>
      <ApiHealth />
      <WorkersStatus />
    </>
  );
}
