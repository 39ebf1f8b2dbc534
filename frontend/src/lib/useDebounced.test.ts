import { describe, expect, it } from "vitest";
import { settledEdit } from "./useDebounced";

describe("settledEdit", () => {
  it("reports a settled edit, trimmed", () => {
    expect(settledEdit(" sweep ", " sweep ", "")).toBe("sweep");
  });

  it("stays quiet when the value already holds the edit", () => {
    expect(settledEdit("keep", "keep", "keep")).toBeNull();
  });

  it("never reports a settled text the draft has left, so Clear is not undone", () => {
    // A tag chip set "keep"; Clear emptied value and draft in the render where the timer settled on "keep".
    expect(settledEdit("keep", "", "")).toBeNull();
  });

  it("reports an emptied box once the empty draft settles", () => {
    expect(settledEdit("", "", "keep")).toBe("");
  });
});
