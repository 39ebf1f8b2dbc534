import { useEffect, useLayoutEffect, useRef } from "react";

/** A control the user types into: its keys are text, not shortcuts. */
function isTextEntry(target: EventTarget | null): target is HTMLElement {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) {
    return true;
  }
  return target instanceof HTMLInputElement && !["checkbox", "radio", "button", "submit"].includes(target.type);
}

/**
 * Page-wide single-key shortcuts. `handle` gets the key ("1", "j", "?", "ArrowRight") and returns whether it used it
 * (the browser's default is then prevented). Keys typed into a text field stay there, except Escape, which leaves
 * the field so that the next key is a shortcut again. Nothing fires with Ctrl, Alt or Cmd held (the browser's own
 * shortcuts), nor while a dialog is open.
 */
export function useShortcuts(handle: (key: string) => boolean): void {
  const handler = useRef(handle);
  // Before the browser paints, not after: a key pressed as soon as the next pair shows must reach the handler
  // that sees it, not the one from before (which still thought its vote was pending).
  useLayoutEffect(() => {
    handler.current = handle;
  });
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      // A dialog has its own keys (Escape closes it).
      if (document.querySelector("dialog[open]")) return;
      if (isTextEntry(event.target)) {
        if (event.key === "Escape") {
          event.target.blur();
          event.preventDefault();
        }
        return;
      }
      if (handler.current(event.key)) event.preventDefault();
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, []);
}
