import { useQuery } from "@tanstack/react-query";
import { queryOptions } from "@tanstack/react-query";
import { NavLink, Outlet } from "react-router";
import { getHealth, listWorkers } from "../client/sdk.gen";
import type { WorkerOut } from "../client/types.gen";
import { formatMemory, formatRelative } from "../lib/format";

const healthQuery = queryOptions({
  queryKey: ["health"] as const,
  queryFn: async ({ signal }) => (await getHealth({ signal, throwOnError: true })).data,
  refetchInterval: 30_000,
  retry: false,
});

const workersQuery = queryOptions({
  queryKey: ["workers"] as const,
  queryFn: async ({ signal }) => (await listWorkers({ signal, throwOnError: true })).data,
  refetchInterval: 15_000,
  retry: false,
});

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
  const workers = useQuery(workersQuery);
  if (!workers.isSuccess) return null;
  const items = workers.data.items;
  const training = items.some((worker) => worker.queues.includes("training"));
  return (
    <div className="sidebar-status" data-testid="workers-summary" title={workersTitle(items)}>
      <span className={`health-dot ${training ? "health-ok" : "health-warn"}`} aria-hidden="true" />
      {workersSummary(items)}
    </div>
  );
}

function Icon({ d }: { d: string }) {
  return (
    <svg className="nav-icon" viewBox="0 0 24 24" aria-hidden="true">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

const ICONS = {
  datasets: "M4 6c0-1.1 3.6-2 8-2s8 .9 8 2-3.6 2-8 2-8-.9-8-2Zm0 0v12c0 1.1 3.6 2 8 2s8-.9 8-2V6M4 12c0 1.1 3.6 2 8 2s8-.9 8-2",
  runs: "M4 19h16M6 16l4-6 4 3 5-8",
  newRun: "M12 5v14M5 12h14",
  presets: "M4 7h10M18 7h2M4 17h4M12 17h8M14 5v4M8 15v4",
};

export function Layout() {
  const health = useQuery(healthQuery);
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="sidebar-inner">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <svg viewBox="0 0 32 32">
              <path
                d="M8 22 L14 14 L18 18 L24 9"
                stroke="#fff"
                strokeWidth="3"
                fill="none"
                strokeLinecap="round"
                strokeLinejoin="round"
              />
            </svg>
          </span>
          <span className="brand-name">Fine-tuning Studio</span>
        </div>
        <nav className="nav" aria-label="Main">
          <NavLink to="/datasets" className="nav-link" data-testid="nav-datasets">
            <Icon d={ICONS.datasets} />
            Datasets
          </NavLink>
          <NavLink to="/runs" end className="nav-link" data-testid="nav-runs">
            <Icon d={ICONS.runs} />
            Runs
          </NavLink>
          <NavLink to="/runs/new" className="nav-link" data-testid="nav-new-run">
            <Icon d={ICONS.newRun} />
            New run
          </NavLink>
          <NavLink to="/presets" className="nav-link" data-testid="nav-presets">
            <Icon d={ICONS.presets} />
            Presets
          </NavLink>
        </nav>
        <div className="sidebar-footer">
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
          <WorkersStatus />
        </div>
        </div>
      </aside>
      <main className="main">
        <div className="content">
          <Outlet />
        </div>
      </main>
    </div>
  );
}
