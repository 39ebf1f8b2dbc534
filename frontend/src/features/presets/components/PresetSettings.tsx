import type { HyperparameterSpec } from "../../../client/types.gen";
import { formatOverride } from "../../../lib/hyperparameters";

/** What a preset sets, each value next to the studio default it replaces, in the form's order. */
export function PresetSettings({
  hyperparameters,
  specs,
}: {
  hyperparameters: Record<string, unknown>;
  specs: HyperparameterSpec[];
}) {
  const known = specs.filter((spec) => spec.name in hyperparameters);
  const unknown = Object.keys(hyperparameters).filter((name) => !specs.some((spec) => spec.name === name));
  if (known.length + unknown.length === 0) {
    return <div className="muted small">Sets nothing: every hyperparameter keeps its default.</div>;
  }
  return (
    <dl className="preset-settings" data-testid="preset-settings">
      {known.map((spec) => {
        const value = formatOverride(spec, hyperparameters[spec.name]);
        const fallback = formatOverride(spec, spec.default);
        return (
          <div key={spec.name} className="preset-setting" data-testid="preset-setting" data-name={spec.name}>
            <dt className="mono">{spec.name}</dt>
            <dd>
              <span className={value === fallback ? "mono" : "mono preset-value"}>{value}</span>
              <span className="muted small">{value === fallback ? " same as default" : ` default ${fallback}`}</span>
            </dd>
          </div>
        );
      })}
      {unknown.map((name) => (
        <div key={name} className="preset-setting" data-testid="preset-setting" data-name={name}>
          <dt className="mono">{name}</dt>
          <dd>
            <span className="mono preset-value">{JSON.stringify(hyperparameters[name])}</span>
            <span className="muted small"> not a current hyperparameter</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}
