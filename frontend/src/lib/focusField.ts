import { useCallback, useEffect, useRef, useState } from "react";

/** Scroll a form control to the middle of the screen and focus it: the error summary sits below a long form. */
export function focusElement(id: string): void {
  const element = document.getElementById(id);
  if (!element) return;
  element.scrollIntoView({ block: "center" });
  element.focus({ preventScroll: true });
}

/**
 * `focus(id)` from an event handler or a mutation callback: the control is focused once the render that shows it
 * (its error, a section opened for it) is committed, not before, when it may still be hidden.
 */
export function useFocusField(): (id: string) => void {
  const pending = useRef<string | null>(null);
  const [request, setRequest] = useState(0);
  useEffect(() => {
    const id = pending.current;
    pending.current = null;
    if (id) focusElement(id);
  }, [request]);
  return useCallback((id: string) => {
    pending.current = id;
    setRequest((n) => n + 1);
  }, []);
}
