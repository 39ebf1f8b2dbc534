import { FieldError } from "../../../components/ui/FormRow";
import { formatOverride, groupSpecs, listEntryNoun, type HyperparameterSpec } from "../api/hyperparameters";

type Props = {
  specs: HyperparameterSpec[];
  /** What the user typed, by name; "" or missing means "not overridden". */
  values: Record<string, string>;
  /** The preset's values, shown as the effective default ({} when editing a preset itself). */
  presetValues: Record<string, unknown>;
  errors: Record<string, string>;
  onChange: (name: string, value: string) => void;
};

function rangeHint(spec: HyperparameterSpec): string {
  const low =
    spec.exclusiveMinimum !== undefined ? `> ${spec.exclusiveMinimum}` : spec.minimum !== undefined ? `≥ ${spec.minimum}` : "";
  const high =
    spec.exclusiveMaximum !== undefined ? `< ${spec.exclusiveMaximum}` : spec.maximum !== undefined ? `≤ ${spec.maximum}` : "";
  return [low, high].filter(Boolean).join(", ");
}

function Field({
  spec,
  value,
  presetValue,
  error,
  onChange,
}: {
  spec: HyperparameterSpec;
  value: string;
  presetValue: unknown;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const fromPreset = presetValue !== undefined;
  const effective = formatOverride(spec, fromPreset ? presetValue : spec.default);
  const id = `hp-${spec.name}`;
  const changed = value !== "";
  const common = {
    id,
    "data-testid": id,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": `${id}-help`,
  };

  let control: React.ReactNode;
  if (spec.readOnly) {
    control = <input {...common} className="input" value={formatOverride(spec, spec.default)} disabled readOnly />;
  } else if (spec.kind === "enum" || spec.kind === "boolean") {
    const options = spec.kind === "boolean" ? ["true", "false"] : spec.options;
    control = (
      <select {...common} className="select" value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">
          {effective} ({fromPreset ? "preset" : "default"})
        </option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        {...common}
        className="input mono"
        type="text"
        inputMode={spec.kind === "integer" ? "numeric" : spec.kind === "number" ? "decimal" : "text"}
        placeholder={effective}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
    );
  }

  const range = rangeHint(spec);
  return (
    <div className={["hp-field", changed ? "hp-field-changed" : "", error ? "hp-field-error" : ""].join(" ")}>
      <div className="hp-label-row">
        <label htmlFor={id} className="hp-label mono">
          {spec.name}
        </label>
        {changed ? (
          <button type="button" className="link-button small" onClick={() => onChange("")}>
            reset
          </button>
        ) : null}
      </div>
      {control}
      <FieldError>{error}</FieldError>
      <div className="hp-help" id={`${id}-help`}>
        {spec.description}
        <span className="hp-meta">
          {" "}
          Default <span className="mono">{formatOverride(spec, spec.default)}</span>
          {fromPreset ? (
            <>
              {" "}
              · preset <span className="mono">{formatOverride(spec, presetValue)}</span>
            </>
          ) : null}
          {range ? ` · ${range}` : ""}
          {spec.kind === "list" ? ` · ${listEntryNoun(spec)}s, separated by commas` : ""}
          {spec.nullable ? " · 'none' to disable" : ""}
        </span>
      </div>
    </div>
  );
}

/** One input per hyperparameter of GET /api/hyperparameters, grouped; only changed ones become overrides. */
export function HyperparameterFields({ specs, values, presetValues, errors, onChange }: Props) {
  return (
    <div className="hp-groups">
      {groupSpecs(specs).map(([group, groupSpecsList]) => (
        <fieldset key={group} className="hp-group">
          <legend>{group}</legend>
          <div className="hp-grid">
            {groupSpecsList.map((spec) => (
              <Field
                key={spec.name}
                spec={spec}
                value={values[spec.name] ?? ""}
                presetValue={presetValues[spec.name]}
                error={errors[spec.name]}
                onChange={(value) => onChange(spec.name, value)}
              />
            ))}
          </div>
        </fieldset>
      ))}
    </div>
  );
}
