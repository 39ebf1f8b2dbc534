import { useCallback, useState } from "react";

export type XMode = "step" | "epoch" | "time";

export type ChartSettings = {
  /** EMA weight, 0 (off) to 0.99. */
  smoothing: number;
  xMode: XMode;
  logScale: boolean;
};

const STORAGE_KEY = "studio.charts";
const DEFAULTS: ChartSettings = { smoothing: 0.6, xMode: "step", logScale: false };

function load(): ChartSettings {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}") as Partial<ChartSettings>;
    const smoothing = Number(stored.smoothing);
    return {
      smoothing: Number.isFinite(smoothing) ? Math.min(Math.max(smoothing, 0), 0.99) : DEFAULTS.smoothing,
      xMode: stored.xMode === "epoch" || stored.xMode === "time" ? stored.xMode : "step",
      logScale: stored.logScale === true,
    };
  } catch {
    // Storage disabled or a value from an older version: the defaults.
    return DEFAULTS;
  }
}

/** Smoothing, x axis and log scale of the metric charts, remembered by this browser for every run. */
export function useChartSettings(): [ChartSettings, (change: Partial<ChartSettings>) => void] {
  const [settings, setSettings] = useState(load);
  const update = useCallback((change: Partial<ChartSettings>) => {
    setSettings((current) => {
      const next = { ...current, ...change };
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      } catch {
        // Not remembered (private mode, quota): the setting still applies on this page.
      }
      return next;
    });
  }, []);
  return [settings, update];
}
