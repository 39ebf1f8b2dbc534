import { useState, type KeyboardEvent } from "react";
import type { BaseModelOut } from "../../../client/types.gen";
import { FieldError } from "../../../components/ui/FormRow";
import { ApiError, fieldMessage } from "../../../lib/api";
import { useRegisterBaseModel } from "../../../lib/catalog";
import { useCurrentUser } from "../../../lib/session";

/**
 * Register a base model beside the picker: a local Hugging Face model directory or a hub id, checked by the API
 * (POST /api/models) as a script's request would be. Not a <form>: it sits inside the launch form.
 */
export function RegisterModel({ onRegistered }: { onRegistered: (model: BaseModelOut) => void }) {
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState("");
  const register = useRegisterBaseModel();
  const isAdmin = useCurrentUser()?.role === "admin";
  const error =
    register.error instanceof ApiError ? fieldMessage(register.error) : register.error ? register.error.message : null;

  const submit = () => {
    if (!path.trim()) return;
    register.mutate(path.trim(), {
      onSuccess: (model) => {
        onRegistered(model);
        setPath("");
        setOpen(false);
      },
    });
  };
  // Enter registers the model rather than launching the run.
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    submit();
  };

  if (!open) {
    return (
      <button type="button" className="link-button small" onClick={() => setOpen(true)} data-testid="register-model-open">
        Register another model…
      </button>
    );
  }
  return (
    <div className="register-model" data-testid="register-model">
      <label htmlFor="register-model-path" className="register-model-label">
        Model directory or hub id
      </label>
      <div className="register-model-row">
        <input
          id="register-model-path"
          className="input mono"
          type="text"
          placeholder="/models/my-llama or org/name"
          value={path}
          onChange={(event) => {
            setPath(event.target.value);
            if (register.isError) register.reset();
          }}
          onKeyDown={onKeyDown}
          aria-invalid={error ? true : undefined}
          aria-describedby="register-model-help"
          autoComplete="off"
          spellCheck={false}
          autoFocus
          data-testid="register-model-path"
        />
        <button
          type="button"
          className="btn"
          onClick={submit}
          disabled={register.isPending || !path.trim()}
          data-testid="register-model-submit"
        >
          {register.isPending ? "Checking…" : "Register"}
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setOpen(false);
            register.reset();
          }}
        >
          Cancel
        </button>
      </div>
      <FieldError testId="register-model-error">{error}</FieldError>
      <div className="hint" id="register-model-help">
        {isAdmin
          ? "An absolute path to a Hugging Face model directory (with its config.json) on the studio's machine, under STUDIO_MODEL_ROOTS; or a hub id such as org/name."
          : "A hub id such as org/name. Local model directories are registered by an admin."}
      </div>
    </div>
  );
}
