/** Every hyperparameter that stopped a save, by name: the fields themselves may be scrolled out of sight. */
export function HyperparameterErrors({
  title,
  errors,
  testId,
}: {
  title: string;
  errors: Record<string, string>;
  testId: string;
}) {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <div className="notice notice-error" role="alert" data-testid={testId}>
      <div className="notice-title">{title}</div>
      <ul className="notice-list">
        {entries.map(([name, message]) => (
          <li key={name}>
            <span className="mono">{name}</span>: {message}
          </li>
        ))}
      </ul>
    </div>
  );
}
