import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { LiveWorkerOut, QueueItemOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { EmptyState, Loading } from "../../../components/ui/States";
import { formatMemory, formatRelative } from "../../../lib/format";
import { queueQuery } from "../api/queue";
import { VERDICTS, warningText } from "../estimate";

const START_A_WORKER = ".venv/bin/celery -A worker.celery_app worker --pool=solo --queues=training";

function Task({ worker }: { worker: LiveWorkerOut }) {
  if (!worker.queues.includes("training")) return <span className="muted">token counts, judges</span>;
  const { task } = worker;
  if (task === null) return <span className="muted">idle</span>;
  if (task.id === null) return <span>another user’s {task.kind}</span>;
  return task.kind === "run" ? (
    <Link to={`/runs/${task.id}`}>run #{task.id}</Link>
  ) : (
    <Link to={`/evaluations/${task.id}/review`}>evaluation #{task.id}</Link>
  );
}

function WorkersTable({ workers }: { workers: LiveWorkerOut[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="workers-table">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Device</th>
            <th>Memory</th>
            <th>Queues</th>
            <th>On</th>
            <th>Last heard</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((worker) => (
            <tr key={worker.id} data-testid="worker-row">
              <td>
                <span className="mono">{worker.hostname}</span> <span className="muted small">pid {worker.pid}</span>
              </td>
              <td>
                {worker.device} · {worker.device_name}
                {worker.device_count > 1 ? ` × ${worker.device_count}` : ""}
              </td>
              <td className="mono">{formatMemory(worker.memory_bytes)}</td>
              <td>{worker.queues.join(", ")}</td>
              <td data-testid="worker-task">
                <Task worker={worker} />
              </td>
              <td>{formatRelative(worker.last_seen_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Waiting({ item }: { item: QueueItemOut }) {
  const verdict = item.verdict ? VERDICTS[item.verdict] : null;
  return (
    <tr data-testid="queue-row">
      <td className="mono">{item.position}</td>
      <td>
        {item.id === null ? (
          <span className="muted">{item.name}</span>
        ) : item.kind === "run" ? (
          <Link to={`/runs/${item.id}`}>
            run #{item.id} <span className="muted">{item.name}</span>
          </Link>
        ) : (
          item.name
        )}
      </td>
      <td>
        {verdict ? (
          <span className={`badge ${verdict.badge}`} title={item.verdict_note ?? undefined}>
            {verdict.text}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
        {item.verdict_note && item.verdict !== "fits" ? (
          <div className="small muted">{warningText(item.verdict_note)}</div>
        ) : null}
      </td>
    </tr>
  );
}

/** The Workers page's content: who trains, on what, and what waits for them, in the order they take it. */
export function WorkersAndQueue() {
  const queue = useQuery(queueQuery());
  if (queue.isPending) return <Loading />;
  if (queue.isError) return <ErrorNotice error={queue.error} title="Could not load the workers" />;
  const { workers, waiting } = queue.data;
  const training = workers.filter((worker) => worker.queues.includes("training"));
  return (
    <>
      <Card title={`Live workers (${workers.length})`} testId="workers-card">
        {training.length === 0 ? (
          <div className="notice notice-warning" role="status" data-testid="no-training-worker">
            <div className="notice-title">No training worker is running</div>
            <div className="notice-message">
              Runs and evaluations wait until one starts. Start one with <code>{START_A_WORKER}</code> (one per GPU;
              <code>make up</code> starts one on this machine).
            </div>
          </div>
        ) : null}
        {workers.length > 0 ? <WorkersTable workers={workers} /> : null}
      </Card>
      <Card title={`Waiting (${waiting.length})`} testId="queue-card">
        {waiting.length === 0 ? (
          <EmptyState title="Nothing is waiting">Runs and evaluations queue here until a training worker takes them.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="queue-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Waiting</th>
                  <th>Memory estimate against the live workers</th>
                </tr>
              </thead>
              <tbody>
                {waiting.map((item) => (
                  <Waiting key={`${item.kind}-${item.position}`} item={item} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
