import type { ReactNode } from "react";

/**
 * One row of a form grid: the label on the left, the control with its error and hint on the right.
 * With `htmlFor` the label names the control; without it (a control that is its own label, like a toggle)
 * it is plain text.
 */
export function FormRow({
  label,
  htmlFor,
  inline = false,
  children,
}: {
  label: ReactNode;
  htmlFor?: string;
  /** Control and hint side by side. */
  inline?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="form-row">
      {htmlFor ? <label htmlFor={htmlFor}>{label}</label> : <span className="form-label">{label}</span>}
      <div className={inline ? "form-control form-inline" : "form-control"}>{children}</div>
    </div>
  );
}

/** A field's validation message; renders nothing when there is none. */
export function FieldError({ children, testId = "field-error" }: { children: ReactNode; testId?: string }) {
  if (!children) return null;
  return (
    <div className="field-error" data-testid={testId} role="alert">
      {children}
    </div>
  );
}
