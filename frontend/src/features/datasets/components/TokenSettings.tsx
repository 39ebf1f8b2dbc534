import { useEffect, useState } from "react";
import type { DatasetOut } from "../../../client/types.gen";
import { Toggle } from "../../../components/ui/Toggle";
import { useDebounced } from "../../../lib/useDebounced";
import type { TokenSettingsState } from "../useTokenSettings";

function MaxLengthInput({
  value,
  range,
  onCommit,
}: {
  value: number;
  range: { min: number; max: number };
  onCommit: (value: number) => void;
}) {
  const [draft, setDraft] = useState(String(value));
  const settled = useDebounced(draft, 450);
  const inRange = (text: string) => {
    const n = Number(text.trim());
    return Number.isInteger(n) && n >= range.min && n <= range.max;
  };
  const valid = inRange(draft);

  useEffect(() => {
    if (inRange(settled) && Number(settled) !== value) onCommit(Number(settled));
    // Commit once the typing settles; `onCommit` and `inRange` are rebuilt every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settled]);

  return (
    <input
      className="input input-narrow"
      inputMode="numeric"
      value={draft}
      onChange={(event) => setDraft(event.target.value)}
      aria-invalid={valid ? undefined : true}
      title={valid ? undefined : `a whole number from ${range.min} to ${range.max}`}
      aria-label="max_seq_length"
      data-testid="tokens-max-length"
    />
  );
}

export function TokenSettingsBar({
  state,
  dataset,
  showCompletionOnly = false,
  allowCustom = false,
}: {
  state: TokenSettingsState;
  dataset: DatasetOut;
  showCompletionOnly?: boolean;
  /** Offer "custom" even when the dataset has no custom template (the preview can try one out). */
  allowCustom?: boolean;
}) {
  const { settings, update, models, templates } = state;
  return (
    <div className="settings-bar" data-testid="token-settings">
      <label className="setting">
        <span className="opt-label">Base model (tokenizer)</span>
        <select
          className="select"
          value={settings.baseModel}
          onChange={(event) => update({ baseModel: event.target.value })}
          data-testid="tokens-model-select"
        >
          {models.map((m) => (
            <option key={m.id} value={m.name}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label className="setting">
        <span className="opt-label">Template</span>
        <select
          className="select"
          value={settings.template}
          onChange={(event) => update({ template: templates.find((t) => t.name === event.target.value)?.name ?? "" })}
          data-testid="tokens-template-select"
        >
          <option value="">Dataset's ({dataset.template})</option>
          {templates
            .filter((t) => t.name !== "custom" || allowCustom || dataset.custom_template)
            .map((t) => (
              <option key={t.name} value={t.name} title={t.description}>
                {t.name}
              </option>
            ))}
        </select>
      </label>
      <label className="setting setting-narrow">
        <span className="opt-label">max_seq_length</span>
        <MaxLengthInput
          key={settings.maxSeqLength}
          value={settings.maxSeqLength}
          range={state.maxSeqRange}
          onCommit={(maxSeqLength) => update({ maxSeqLength })}
        />
      </label>
      {showCompletionOnly ? (
        <Toggle
          checked={settings.completionOnly}
          onChange={(completionOnly) => update({ completionOnly })}
          testId="tokens-completion-only"
          className="setting-toggle"
        >
          Completion-only loss
          <span className="muted small">(mask the prompt)</span>
        </Toggle>
      ) : null}
    </div>
  );
}
