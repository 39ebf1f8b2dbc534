import type { ReactNode } from "react";

/** A checkbox with its label beside it. */
export function Toggle({
  checked,
  onChange,
  testId,
  className,
  children,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  testId?: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <label className={className ? `toggle ${className}` : "toggle"}>
      <input
        type="checkbox"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        data-testid={testId}
      />
      {children}
    </label>
  );
}
