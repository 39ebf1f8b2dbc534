function renderValue(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** A flat key/value listing; nested objects are shown as JSON. */
export function KeyValueGrid({ values, highlight }: { values: Record<string, unknown>; highlight?: Set<string> }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <div className="muted">Nothing recorded.</div>;
  return (
    <dl className="kv-grid">
      {entries.map(([key, value]) => (
        <div key={key} className={highlight?.has(key) ? "kv kv-highlight" : "kv"}>
          <dt>{key}</dt>
          <dd className="mono">{renderValue(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Collapsible({
  title,
  summary,
  children,
  testId,
  defaultOpen = false,
}: {
  title: string;
  summary?: string;
  children: React.ReactNode;
  testId?: string;
  defaultOpen?: boolean;
}) {
  return (
    <details className="collapsible card" data-testid={testId} open={defaultOpen}>
      <summary>
        <span className="collapsible-title">{title}</span>
        {summary ? <span className="muted small">{summary}</span> : null}
      </summary>
      <div className="collapsible-body">{children}</div>
    </details>
  );
}
