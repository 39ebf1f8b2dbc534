import { useState, type SubmitEvent } from "react";
import type {
  BaseModelOut,
  JudgeCreateWritable,
  JudgeKind,
  JudgeOut,
  JudgeUpdateWritable,
} from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError, FormRow } from "../../../components/ui/FormRow";
import { ApiError, fieldMessage } from "../../../lib/api";

const KIND_HELP: Record<JudgeKind, string> = {
  openai:
    "Any OpenAI-compatible chat endpoint: OpenAI, or a server of your own (vLLM, Ollama, llama.cpp). A light worker calls it.",
  base_model:
    "A chat model registered in the studio, loaded by a training worker: nothing leaves the machine, but it is slower and usually a weaker grader.",
};

type Props = {
  /** The judge edited; none: a new one. */
  judge?: JudgeOut;
  models: BaseModelOut[];
  pending: boolean;
  error: unknown;
  onCreate?: (body: JudgeCreateWritable) => void;
  onUpdate?: (body: JudgeUpdateWritable) => void;
  onCancel?: () => void;
};

/**
 * A judge's name, where it is and its key. The key goes only from this password field to the API, which stores it
 * encrypted and never sends it back: editing shows whether one is stored, never what it is.
 */
export function JudgeForm({ judge, models, pending, error, onCreate, onUpdate, onCancel }: Props) {
  const [name, setName] = useState(judge?.name ?? "");
  const [kind, setKind] = useState<JudgeKind>(judge?.kind ?? "openai");
  const [baseUrl, setBaseUrl] = useState(judge?.base_url ?? "");
  const [model, setModel] = useState(judge?.model ?? "");
  const [apiKey, setApiKey] = useState("");
  const [removeKey, setRemoveKey] = useState(false);
  const apiError = error instanceof ApiError ? error : null;
  const fieldError = (field: string) => (apiError?.field === field ? fieldMessage(apiError) : null);
  const placed = ["name", "base_url", "model", "api_key"].some((field) => apiError?.field === field);
  const prefix = judge ? `judge-${judge.id}` : "judge-new";

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const endpoint = kind === "openai";
    if (judge) {
      onUpdate?.({
        name: name.trim(),
        model: model.trim(),
        ...(endpoint ? { base_url: baseUrl.trim() } : {}),
        // Blank keeps the stored key; "" (remove) deletes it.
        ...(endpoint && removeKey ? { api_key: "" } : endpoint && apiKey ? { api_key: apiKey } : {}),
      });
    } else {
      onCreate?.({
        name: name.trim(),
        kind,
        model: model.trim(),
        ...(endpoint ? { base_url: baseUrl.trim(), api_key: apiKey || null } : {}),
      });
    }
    setApiKey("");
  };

  return (
    <form className="form judge-form" onSubmit={submit} noValidate data-testid="judge-form">
      <div className="form-grid">
        <FormRow label="Name" htmlFor={`${prefix}-name`}>
          <input
            id={`${prefix}-name`}
            className="input"
            maxLength={200}
            placeholder="e.g. GPT-4o mini, local Llama"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={fieldError("name") ? true : undefined}
            data-testid="judge-name"
          />
          <FieldError>{fieldError("name")}</FieldError>
        </FormRow>
        <FormRow label="Kind" htmlFor={`${prefix}-kind`}>
          <select
            id={`${prefix}-kind`}
            className="select"
            value={kind}
            disabled={judge !== undefined}
            onChange={(event) => {
              setKind(event.target.value as JudgeKind);
              setModel("");
            }}
            data-testid="judge-kind"
          >
            <option value="openai">OpenAI-compatible endpoint</option>
            <option value="base_model">A base model in the studio</option>
          </select>
          <div className="hint">{KIND_HELP[kind]}</div>
        </FormRow>
        {kind === "openai" ? (
          <>
            <FormRow label="Base URL" htmlFor={`${prefix}-url`}>
              <input
                id={`${prefix}-url`}
                className="input mono"
                maxLength={1000}
                placeholder="https://api.openai.com/v1"
                value={baseUrl}
                onChange={(event) => setBaseUrl(event.target.value)}
                aria-invalid={fieldError("base_url") ? true : undefined}
                data-testid="judge-base-url"
              />
              <FieldError>{fieldError("base_url")}</FieldError>
              <div className="hint">Up to the API version: the judge calls …/chat/completions.</div>
            </FormRow>
            <FormRow label="Model" htmlFor={`${prefix}-model`}>
              <input
                id={`${prefix}-model`}
                className="input mono"
                maxLength={300}
                placeholder="gpt-4o-mini"
                value={model}
                onChange={(event) => setModel(event.target.value)}
                aria-invalid={fieldError("model") ? true : undefined}
                data-testid="judge-model"
              />
              <FieldError>{fieldError("model")}</FieldError>
            </FormRow>
            <FormRow label="API key" htmlFor={`${prefix}-key`}>
              <input
                id={`${prefix}-key`}
                className="input mono"
                type="password"
                autoComplete="new-password"
                maxLength={1000}
                placeholder={judge?.has_api_key ? "A key is stored: leave blank to keep it" : "None: the endpoint wants no key"}
                value={apiKey}
                disabled={removeKey}
                onChange={(event) => setApiKey(event.target.value)}
                aria-invalid={fieldError("api_key") ? true : undefined}
                data-testid="judge-api-key"
              />
              <FieldError>{fieldError("api_key")}</FieldError>
              {judge?.has_api_key ? (
                <label className="hint">
                  <input
                    type="checkbox"
                    checked={removeKey}
                    onChange={(event) => setRemoveKey(event.target.checked)}
                    data-testid="judge-remove-key"
                  />{" "}
                  Remove the stored key
                </label>
              ) : null}
              <div className="hint">Stored encrypted; never shown again, not even to you.</div>
            </FormRow>
          </>
        ) : (
          <FormRow label="Base model" htmlFor={`${prefix}-model`}>
            <select
              id={`${prefix}-model`}
              className="select"
              value={model}
              onChange={(event) => setModel(event.target.value)}
              aria-invalid={fieldError("model") ? true : undefined}
              data-testid="judge-model"
            >
              <option value="">Choose a registered model</option>
              {models.map((entry) => (
                <option key={entry.id} value={entry.name}>
                  {entry.name}
                </option>
              ))}
            </select>
            <FieldError>{fieldError("model")}</FieldError>
            <div className="hint">It must be a chat (instruction-tuned) model with a chat template.</div>
          </FormRow>
        )}
      </div>
      {error && !placed ? <ErrorNotice error={error} title="The judge was not saved" /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={pending} data-testid="judge-save">
          {pending ? "Saving…" : judge ? "Save" : "Add judge"}
        </button>
        {onCancel ? (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
