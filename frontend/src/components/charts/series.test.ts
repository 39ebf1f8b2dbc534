import { describe, expect, it } from "vitest";
import { alignOnX, downsampleIndices, ema, finiteExtent, valueRange, xRange } from "./series";

describe("ema", () => {
  it("returns the values unchanged at smoothing 0", () => {
    expect(ema([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });

  it("is debiased: the first point is the raw one, and a constant stays constant", () => {
    expect(ema([2], 0.9)).toEqual([2]);
    const constant = ema([5, 5, 5, 5], 0.99);
    for (const value of constant) expect(value).toBeCloseTo(5, 12);
  });

  it("weights the past as W&B does", () => {
    // n=2: (0.5·0.5·1 + 0.5·3) / (1 - 0.25) = (0.25 + 1.5) / 0.75
    const [first, second] = ema([1, 3], 0.5);
    expect(first).toBeCloseTo(1);
    expect(second).toBeCloseTo(1.75 / 0.75);
  });

  it("keeps gaps and NaN in place without poisoning what follows", () => {
    const smoothed = ema([1, null, Number.NaN, 1], 0.6);
    expect(smoothed[0]).toBeCloseTo(1);
    expect(smoothed[1]).toBeNull();
    expect(smoothed[2]).toBeNaN();
    expect(smoothed[3]).toBeCloseTo(1);
  });
});

describe("downsampleIndices", () => {
  const n = 20_000;
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const loss = x.map((step) => 2 / Math.sqrt(step) + 0.01 * Math.sin(step));
  loss[12_345] = 50;
  loss[7_000] = Number.NaN;
  loss[15_000] = -3;

  it("keeps every point when there are few", () => {
    expect(downsampleIndices([1, 2, 3], [[1, 2, 3]], 500)).toEqual([0, 1, 2]);
    expect(downsampleIndices([7], [[1]], 500)).toEqual([0]);
  });

  it("shrinks 20,000 points and keeps the spike, the dip, the NaN and both ends", () => {
    const kept = downsampleIndices(x, [loss], 500);
    expect(kept.length).toBeLessThan(2_100);
    expect(kept).toContain(12_345);
    expect(kept).toContain(7_000);
    expect(kept).toContain(15_000);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(n - 1);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
  });

  it("keeps the extremes of every series on the shared axis", () => {
    const other = x.map((step) => (step === 3 ? -10 : step % 2 ? null : 1));
    const kept = downsampleIndices(x, [loss, other], 500);
    expect(kept).toContain(2);
    expect(kept).toContain(12_345);
  });
});

describe("ranges", () => {
  it("gives a constant 0 a range around it, not 0 to 100", () => {
    expect(valueRange(finiteExtent([0]))).toEqual([-1, 1]);
  });

  it("gives a constant or a single value ±10%", () => {
    const [low, high] = valueRange(finiteExtent([2, 2, 2]));
    expect(low).toBeCloseTo(1.8);
    expect(high).toBeCloseTo(2.2);
    expect(valueRange(finiteExtent([1.209]))[0]).toBeLessThan(1.209);
  });

  it("fits varying data with 5% room, not below 0 for positive data", () => {
    expect(valueRange(finiteExtent([0.1, 2.1]))).toEqual([0, 2.2]);
    expect(valueRange(finiteExtent([-1, 1]))).toEqual([-1.1, 1.1]);
  });

  it("ignores NaN and gaps, and has a range without data", () => {
    expect(finiteExtent([null, Number.NaN, 3, 1])).toEqual([1, 3]);
    expect(valueRange(finiteExtent([null, Number.NaN]))).toEqual([0, 1]);
  });

  it("rounds a log axis to decades, over positive values only", () => {
    expect(valueRange(finiteExtent([0, 0.3, 4], true), true)).toEqual([0.1, 10]);
    expect(valueRange(finiteExtent([1], true), true)).toEqual([0.1, 10]);
  });

  it("centres a single x", () => {
    expect(xRange([5, 5], 1)).toEqual([4, 6]);
    expect(xRange([0, 100], 1)).toEqual([0, 100]);
  });
});

describe("alignOnX", () => {
  it("puts series on the union of their x, null where one has no point", () => {
    expect(alignOnX([{ x: [0, 2], y: [1, 2] }, { x: [1, 2], y: [5, Number.NaN] }])).toEqual({
      x: [0, 1, 2],
      ys: [
        [1, null, 2],
        [null, 5, Number.NaN],
      ],
    });
  });
});
