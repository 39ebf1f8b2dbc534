import { useEffect, useRef, useState } from "react";

/**
 * A read-only value (a new token, an invitation link) with a Copy button. The field selects itself on focus, so
 * copying by hand works too where the clipboard API is not available (a page served over plain http elsewhere than
 * localhost).
 */
export function CopyField({ value, label, testId }: { value: string; label: string; testId: string }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!copied) return;
    const timer = window.setTimeout(() => setCopied(null), 2500);
    return () => window.clearTimeout(timer);
  }, [copied]);

  const copy = async () => {
    input.current?.select();
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };

  return (
    <div className="copy-field">
      <input
        ref={input}
        className="input mono copy-field-input"
        readOnly
        value={value}
        aria-label={label}
        onFocus={(event) => event.target.select()}
        data-testid={testId}
      />
      <button type="button" className="btn" onClick={() => void copy()} data-testid={`${testId}-copy`}>
        {copied === "yes" ? "Copied" : "Copy"}
      </button>
      {copied === "failed" ? (
        <span className="hint copy-field-note" role="status">
          Copying is blocked here: the text is selected, press Ctrl+C (⌘C).
        </span>
      ) : null}
    </div>
  );
}
