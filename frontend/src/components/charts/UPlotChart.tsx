import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type ChartOptions = Omit<uPlot.Options, "width" | "height">;

/**
 * A uPlot canvas that fills its container's width. `options` (memoise it!) recreates the plot;
 * new `data` only calls setData, so live updates stay cheap even with thousands of points.
 */
export function UPlotChart({
  options,
  data,
  height,
  testId,
  children,
}: {
  options: ChartOptions;
  data: uPlot.AlignedData;
  height: number;
  testId?: string;
  /** Overlays (e.g. "waiting for metrics"). */
  children?: React.ReactNode;
}) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const dataRef = useRef(data);

  // Declared first so the creation effect below always starts from the newest data.
  useEffect(() => {
    dataRef.current = data;
    plotRef.current?.setData(data);
  }, [data]);

  useEffect(() => {
    const element = containerRef.current;
    if (!element) return;
    const plot = new uPlot({ ...options, width: Math.max(200, element.clientWidth), height }, dataRef.current, element);
    plotRef.current = plot;
    let width = element.clientWidth;
    const observer = new ResizeObserver(() => {
      if (element.clientWidth !== width && element.clientWidth > 0) {
        width = element.clientWidth;
        plot.setSize({ width, height });
      }
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [options, height]);

  return (
    <div className="chart" data-testid={testId}>
      <div ref={containerRef} className="chart-canvas" />
      {children}
    </div>
  );
}
