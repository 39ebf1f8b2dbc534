import { useMemo, useState } from "react";
import type { HyperparameterSpec } from "../client/types.gen";
import { hyperparameterError, parseOverrides } from "./hyperparameters";

type Texts = Record<string, string>;

/**
 * The hyperparameters as typed (a new run's overrides, a preset's values) and the error beside each field:
 * what does not parse, and a 422 from the server that names one of `specs`. Editing a field clears its error.
 */
export function useHyperparameterTexts(
  specs: HyperparameterSpec[],
  initial: Texts | (() => Texts),
  serverError: unknown,
) {
  const [texts, setTexts] = useState<Texts>(initial);
  const [clientErrors, setClientErrors] = useState<Texts>({});
  const parsed = useMemo(() => parseOverrides(specs, texts), [specs, texts]);
  const hpError = hyperparameterError(serverError);
  const serverFieldError = hpError && specs.some((spec) => spec.name === hpError.name) ? hpError : null;
  const errors = serverFieldError
    ? { ...clientErrors, [serverFieldError.name]: serverFieldError.message }
    : clientErrors;

  return {
    texts,
    parsed,
    errors,
    /** The server's error when it is shown beside its field (nothing else need show it). */
    serverFieldError,
    change: (field: string, value: string) => {
      setTexts((old) => ({ ...old, [field]: value }));
      setClientErrors((old) => Object.fromEntries(Object.entries(old).filter(([key]) => key !== field)));
    },
    reset: () => {
      setTexts({});
      setClientErrors({});
    },
    /** Before sending: show every field that does not parse; true when none. */
    check: () => {
      setClientErrors(parsed.errors);
      return Object.keys(parsed.errors).length === 0;
    },
  };
}
