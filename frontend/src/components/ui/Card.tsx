import type { ReactNode } from "react";

export function Card({
  title,
  actions,
  children,
  className,
  testId,
  flush = false,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
  /** No body padding: for tables that run edge to edge. */
  flush?: boolean;
}) {
  return (
    <section className={["card", className].filter(Boolean).join(" ")} data-testid={testId}>
      {title || actions ? (
        <div className="card-header">
          {title ? <h2 className="card-title">{title}</h2> : <span />}
          {actions ? <div className="card-actions">{actions}</div> : null}
        </div>
      ) : null}
      <div className={flush ? "card-body card-body-flush" : "card-body"}>{children}</div>
    </section>
  );
}
