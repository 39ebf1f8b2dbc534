import { useEffect, useRef, useState } from "react";
import type { RunOut } from "../../../client/types.gen";
import { Toggle } from "../../../components/ui/Toggle";
import { isActive } from "../api/queries";

const supported = typeof window !== "undefined" && "Notification" in window;

/**
 * "Notify me when it finishes": a browser notification when the run's status (kept current by its event stream)
 * leaves queued/running. Rendered for every run, so that it is still there to fire at the moment the run ends;
 * the toggle shows only while the run is active.
 */
export function NotifyWhenFinished({ run }: { run: RunOut }) {
  const [watching, setWatching] = useState(false);
  const [refused, setRefused] = useState(supported && Notification.permission === "denied");
  const previous = useRef(run.status);

  useEffect(() => {
    if (watching && isActive(previous.current) && !isActive(run.status)) {
      const notification = new Notification(`Run “${run.name}” ${run.status}`, {
        body: run.error ?? run.status_message,
        tag: `run-${run.id}`,
      });
      notification.onclick = () => window.focus();
    }
    previous.current = run.status;
  }, [watching, run.status, run.name, run.id, run.error, run.status_message]);

  if (!supported || !isActive(run.status)) return null;
  const toggle = async (on: boolean) => {
    if (!on) {
      setWatching(false);
      return;
    }
    const permission = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
    setRefused(permission === "denied");
    setWatching(permission === "granted");
  };
  return (
    <span className="notify-toggle">
      <Toggle checked={watching} onChange={(on) => void toggle(on)} testId="notify-when-finished">
        Notify me when it finishes
      </Toggle>
      {refused ? <span className="muted small"> (notifications are blocked for this site)</span> : null}
    </span>
  );
}
