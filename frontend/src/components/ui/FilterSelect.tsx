/** One choice of a select: its value (a number is sent as its text) and what the list shows. */
export type SelectOption = { value: string | number; label: string };

/**
 * A filter's select: `anyLabel` (value "") first when the filter can be off, then the options; reports the chosen
 * value as text ("" for any). Labelled for screen readers only, or with `label` shown above it (in `className`).
 */
export function FilterSelect({
  label,
  labelShown = false,
  className,
  value,
  onChange,
  options,
  anyLabel,
  testId,
}: {
  label: string;
  labelShown?: boolean;
  className?: string;
  value: string | number;
  onChange: (value: string) => void;
  options: readonly SelectOption[];
  anyLabel?: string;
  testId?: string;
}) {
  const select = (
    <select
      className="select"
      aria-label={labelShown ? undefined : label}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      data-testid={testId}
    >
      {anyLabel === undefined ? null : <option value="">{anyLabel}</option>}
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
  if (!labelShown) return select;
  return (
    <label className={className}>
      <span className="muted small">{label}</span>
      {select}
    </label>
  );
}
