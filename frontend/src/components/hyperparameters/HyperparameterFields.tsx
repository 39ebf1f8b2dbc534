import type { HyperparameterSpec } from "../../client/types.gen";
import { formatOverride, groupSpecs, listEntryNoun, rangeHint } from "../../lib/hyperparameters";
import { FieldError } from "../ui/FormRow";

type Props = {
  specs: HyperparameterSpec[];
  /** What the user typed, by name; "" or missing means "not overridden". */
  values: Record<string, string>;
  /** The preset's values, shown as the effective default ({} when editing a preset itself). */
  presetValues: Record<string, unknown>;
  errors: Record<string, string>;
  onChange: (name: string, value: string) => void;
};

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
  // A default that is a rule (eval_steps: paced by the run's length) reads as the rule, not as "none".
  const defaultText = spec.default_label ?? formatOverride(spec, spec.default);
  const effective = fromPreset ? formatOverride(spec, presetValue) : defaultText;
  const id = `hp-${spec.name}`;
  const changed = value !== "";
  const common = {
    id,
    "data-testid": id,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": `${id}-help`,
  };

  let control: React.ReactNode;
  if (spec.type === "choice" || spec.type === "bool") {
    const options = spec.type === "bool" ? ["true", "false"] : spec.choices;
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
        inputMode={spec.type === "int" ? "numeric" : spec.type === "float" ? "decimal" : "text"}
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
        {spec.help}
        <span className="hp-meta">
          {" "}
          Default <span className="mono">{defaultText}</span>
          {fromPreset ? (
            <>
              {" "}
              · preset <span className="mono">{formatOverride(spec, presetValue)}</span>
            </>
          ) : null}
          {range ? ` · ${range}` : ""}
          {spec.type === "list" ? ` · ${listEntryNoun(spec)}s, separated by commas` : ""}
          {spec.nullable ? (spec.default_label ? " · 'none' for the default" : " · 'none' to disable") : ""}
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
