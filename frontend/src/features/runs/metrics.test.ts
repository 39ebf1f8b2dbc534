import { describe, expect, it } from "vitest";
import type { MetricOut } from "../../client/types.gen";
import { formatLoss } from "../../lib/format";
import { groupMetrics, lastValue } from "./metrics";

function point(step: number, value: number | null, nonFinite: MetricOut["non_finite"] = null): MetricOut {
  return { id: step, step, epoch: null, name: "train_loss", value, non_finite: nonFinite, time: "2026-12-01T00:00:00Z" };
}

describe("groupMetrics", () => {
  it("turns the API's non_finite markers back into NaN and infinities, which the charts mark", () => {
    const series = groupMetrics([point(1, 2), point(2, null, "NaN"), point(3, null, "Infinity"), point(4, null, "-Infinity")]);
    expect(series.get("train_loss")?.values).toEqual([2, Number.NaN, Infinity, -Infinity]);
  });

  it("shows the latest loss as NaN, not as a missing value", () => {
    const latest = lastValue(groupMetrics([point(1, 2), point(2, null, "NaN")]), "train_loss");
    expect(formatLoss(latest?.value)).toBe("NaN");
    expect(formatLoss(Infinity)).toBe("∞");
    expect(formatLoss(null)).toBe("—");
  });
});
