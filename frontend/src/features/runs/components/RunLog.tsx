import { useState } from "react";
import type { LogKind, RunLogLineOut } from "../../../client/types.gen";
import { Toggle } from "../../../components/ui/Toggle";
import { parseApiDate } from "../../../lib/format";

const KIND_LABELS: Record<LogKind, string> = {
  progress: "progress",
  info: "info",
  warning: "warning",
  resume: "resumed",
  preflight: "pre-flight",
  oom_retry: "out of memory",
  overfitting: "overfitting",
  stopped: "stopped",
  error: "error",
};

/** What a user reads the log for: these lines stand out. */
const HIGHLIGHTED: readonly LogKind[] = ["warning", "oom_retry", "overfitting", "stopped", "error"];

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

function LogLine({ line }: { line: RunLogLineOut }) {
  const highlighted = HIGHLIGHTED.includes(line.kind);
  return (
    <li
      className={`runlog-line runlog-${line.kind}${highlighted ? " runlog-highlight" : ""}`}
      data-testid="log-line"
      data-kind={line.kind}
    >
      <span className="runlog-time mono">{timeFormat.format(parseApiDate(line.time))}</span>
      <span className="runlog-step mono">{line.step !== null ? `step ${line.step}` : ""}</span>
      <span className="runlog-kind">{KIND_LABELS[line.kind]}</span>
      <span className="runlog-message">{line.message}</span>
    </li>
  );
}

/** The run's log, newest first; progress lines (many, short-lived) only on request. */
export function RunLog({ lines }: { lines: RunLogLineOut[] }) {
  const [showProgress, setShowProgress] = useState(false);
  const progressCount = lines.filter((line) => line.kind === "progress").length;
  const shown = lines.filter((line) => showProgress || line.kind !== "progress").reverse();
  return (
    <div className="runlog" data-testid="run-log">
      <Toggle
        checked={showProgress}
        onChange={setShowProgress}
        testId="log-show-progress"
        className="small runlog-toggle"
      >
        Show progress lines ({progressCount})
      </Toggle>
      {shown.length === 0 ? (
        <div className="muted small runlog-empty">
          {lines.length === 0 ? "Nothing logged yet." : "Only progress lines so far."}
        </div>
      ) : (
        <ol className="runlog-lines">
          {shown.map((line) => (
            <LogLine key={line.id} line={line} />
          ))}
        </ol>
      )}
    </div>
  );
}
