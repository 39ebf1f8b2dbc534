import { useQuery } from "@tanstack/react-query";
import { useRef, useState, type SubmitEvent } from "react";
import { Link } from "react-router";
import type { CheckpointOut, DatasetOut, EvaluationCreate, RunOut, Split } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError } from "../../../components/ui/FormRow";
import { ApiError, fieldMessage } from "../../../lib/api";
import { formatLoss, plural } from "../../../lib/format";
import { useFocusField } from "../../../lib/focusField";
import { judgeQueries } from "../../../lib/judges";
import { useCreateEvaluation } from "../api/queries";

type Examples = Split | "all";
type Form = {
  /** "final", "base" or "step:N"; null: the final weights when still on disk, else the base model. */
  source: string | null;
  datasetId: number;
  /** Null: the test split when the dataset has one, else the first split that has examples. */
  examples: Examples | null;
  strategy: "greedy" | "sampling";
  temperature: string;
  topP: string;
  topK: string;
  seed: string;
  maxNewTokens: string;
  repetitionPenalty: string;
  /** One stop string a line. */
  stop: string;
  batchSize: string;
  /** Also grade the answers with one of the user's judges once they are in. */
  judge: boolean;
  /** Null: the first of the user's judges. */
  judgeId: number | null;
  /** Null: the default rubric, which is then not sent (the server asks with its own default). */
  rubric: string | null;
};
type FieldName = Exclude<keyof Form, "strategy" | "judge">;
type NumberField = "temperature" | "topP" | "topK" | "seed" | "maxNewTokens" | "repetitionPenalty" | "batchSize";

const SPLITS: { value: Examples; label: string }[] = [
  { value: "test", label: "test split" },
  { value: "validation", label: "validation split" },
  { value: "train", label: "train split" },
  { value: "all", label: "whole dataset" },
];

/** The control each request field is entered in, so that a 422 about it is shown there. */
function fieldOf(serverField: string): FieldName | null {
  if (serverField === "model" || serverField === "checkpoint_step") return "source";
  if (serverField === "dataset_id") return "datasetId";
  if (serverField === "split") return "examples";
  if (serverField === "batch_size") return "batchSize";
  if (serverField === "judge.rubric") return "rubric";
  if (serverField === "judge" || serverField === "judge.judge_id") return "judgeId";
  if (serverField.startsWith("decoding.stop")) return "stop";
  const decoding: Record<string, FieldName> = {
    "decoding.temperature": "temperature",
    "decoding.top_p": "topP",
    "decoding.top_k": "topK",
    "decoding.seed": "seed",
    "decoding.max_new_tokens": "maxNewTokens",
    "decoding.repetition_penalty": "repetitionPenalty",
  };
  return decoding[serverField] ?? null;
}

function countOf(dataset: DatasetOut | undefined, examples: Examples): number | null {
  if (!dataset) return null;
  return { test: dataset.num_test, validation: dataset.num_validation, train: dataset.num_train, all: dataset.num_rows }[
    examples
  ];
}

/** The test split when the dataset has one, else the first split that has examples. */
function firstExamples(dataset: DatasetOut | undefined): Examples {
  return SPLITS.find(({ value }) => (countOf(dataset, value) ?? 1) > 0)?.value ?? "all";
}

/** The request, or the fields that are not numbers. */
function toRequest(
  runId: number,
  form: Form & { source: string; examples: Examples; defaultRubric: string },
): { request: EvaluationCreate; errors: null } | { request: null; errors: Partial<Record<FieldName, string>> } {
  const errors: Partial<Record<FieldName, string>> = {};
  const number = (field: FieldName, text: string): number => {
    const value = Number(text.trim());
    if (text.trim() === "" || !Number.isFinite(value)) errors[field] = "Enter a number.";
    return value;
  };
  const sampling =
    form.strategy === "sampling"
      ? {
          temperature: number("temperature", form.temperature),
          top_p: number("topP", form.topP),
          top_k: number("topK", form.topK),
          seed: number("seed", form.seed),
        }
      : {};
  const request: EvaluationCreate = {
    run_id: runId,
    model: form.source === "base" ? "base" : "fine_tuned",
    checkpoint_step: form.source.startsWith("step:") ? Number(form.source.slice(5)) : null,
    dataset_id: form.datasetId,
    split: form.examples === "all" ? null : form.examples,
    decoding: {
      strategy: form.strategy,
      ...sampling,
      max_new_tokens: form.maxNewTokens.trim() === "" ? null : number("maxNewTokens", form.maxNewTokens),
      repetition_penalty: number("repetitionPenalty", form.repetitionPenalty),
      stop: form.stop.split("\n").filter((line) => line !== ""),
    },
    batch_size: form.batchSize.trim() === "" ? null : number("batchSize", form.batchSize),
  };
  if (form.judge) {
    if (form.judgeId === null) errors.judgeId = "Add a judge on the Judges page first, or untick “Judge the answers”.";
    const rubric = form.rubric === null || form.rubric === form.defaultRubric ? null : form.rubric;
    request.judge = { judge_id: form.judgeId ?? 0, rubric };
  }
  return Object.keys(errors).length > 0 ? { request: null, errors } : { request, errors: null };
}

/**
 * "Evaluate…": a button and its dialog. What answers (the final weights, a checkpoint still on disk or the base
 * model), which examples (this run's dataset or another, one split or all of it), how answers are decoded, and the
 * batch size; optionally, a judge to grade the answers once they are in, with an edited rubric. A 422 is shown at the
 * field it names; the new evaluation appears in the run's list.
 */
export function EvaluateDialog({
  run,
  checkpoints,
  datasets,
}: {
  run: RunOut;
  checkpoints: CheckpointOut[];
  datasets: DatasetOut[];
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const create = useCreateEvaluation(run.id);
  const focus = useFocusField();
  const finalOnDisk = checkpoints.some((c) => c.is_final && c.on_disk);
  const kept = checkpoints.filter((c) => !c.is_final && c.on_disk);
  const listsRunDataset = datasets.some((d) => d.id === run.dataset_id);
  // The checkpoints and datasets may still be loading when the page first renders: the defaults follow them.
  const [form, setForm] = useState<Form>({
    source: null,
    datasetId: run.dataset_id,
    examples: null,
    strategy: "greedy",
    temperature: "0.7",
    topP: "0.9",
    topK: "50",
    seed: "0",
    maxNewTokens: "",
    repetitionPenalty: "1",
    stop: "",
    batchSize: "",
    judge: false,
    judgeId: null,
    rubric: null,
  });
  const [local, setLocal] = useState<Partial<Record<FieldName, string>>>({});

  const apiError = create.error instanceof ApiError ? create.error : null;
  const serverField = apiError?.field ? fieldOf(apiError.field) : null;
  const errorOf = (field: FieldName): string | null =>
    local[field] ?? (apiError && serverField === field ? fieldMessage(apiError) : null);
  const unplaced = create.error && !serverField ? create.error : null;
  const dataset = datasets.find((d) => d.id === form.datasetId);
  const source = form.source ?? (finalOnDisk ? "final" : "base");
  const examples = form.examples ?? firstExamples(dataset);
  const count = countOf(dataset, examples);
  const template = typeof run.config.template === "string" ? run.config.template : null;
  // Only asked for once the user wants a judge.
  const judges = useQuery({ ...judgeQueries.list(), enabled: form.judge });
  const rubrics = useQuery({ ...judgeQueries.rubrics(), enabled: form.judge });
  const judgeId = form.judgeId ?? judges.data?.items[0]?.id ?? null;
  const defaultRubric = rubrics.data?.score.text ?? "";
  const runMaxNewTokens = typeof run.config.max_new_tokens === "number" ? run.config.max_new_tokens : null;

  const change = <K extends keyof Form>(key: K, value: Form[K]) => {
    setForm((old) => ({ ...old, [key]: value }));
    setLocal({});
    create.reset();
  };
  const field = (name: FieldName) => ({
    id: `eval-${name}`,
    "aria-invalid": errorOf(name) ? true : undefined,
    "data-testid": `eval-${name}`,
  });
  const error = (name: FieldName) => <FieldError testId={`eval-${name}-error`}>{errorOf(name)}</FieldError>;
  const numberInput = (name: NumberField, props: { step?: string; min?: string; max?: string; placeholder?: string }) => (
    <input
      {...field(name)}
      className="input"
      type="number"
      inputMode="decimal"
      {...props}
      value={form[name]}
      onChange={(event) => change(name, event.target.value)}
    />
  );

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { request, errors } = toRequest(run.id, { ...form, source, examples, judgeId, defaultRubric });
    if (errors) {
      setLocal(errors);
      const first = Object.keys(errors)[0];
      if (first) focus(`eval-${first}`);
      return;
    }
    create.mutate(request, {
      onSuccess: () => dialog.current?.close(),
      onError: (failure) => {
        const name = failure instanceof ApiError && failure.field ? fieldOf(failure.field) : null;
        if (name) focus(`eval-${name}`);
      },
    });
  };

  return (
    <>
      <button
        type="button"
        className="btn btn-sm btn-primary"
        data-testid="evaluate-open"
        onClick={() => {
          create.reset();
          dialog.current?.showModal();
        }}
      >
        Evaluate…
      </button>
      <dialog ref={dialog} className="eval-dialog" aria-labelledby="evaluate-title" data-testid="evaluate-dialog">
        <form className="eval-dialog-form" onSubmit={submit} noValidate>
          <div className="eval-dialog-header">
            <h2 id="evaluate-title" className="eval-dialog-title">
              Evaluate run #{run.id}
            </h2>
            <button
              type="button"
              className="eval-dialog-close"
              aria-label="Close"
              onClick={() => dialog.current?.close()}
            >
              ×
            </button>
          </div>
          <div className="eval-dialog-body">
            <fieldset className="eval-fieldset">
              <legend>Answers from</legend>
              <select
                {...field("source")}
                className="select"
                aria-label="Answers from"
                value={source}
                onChange={(event) => change("source", event.target.value)}
              >
                <option value="final" disabled={!finalOnDisk}>
                  Fine-tuned model, final weights{finalOnDisk ? "" : " (no longer on disk)"}
                </option>
                {kept.map((checkpoint) => (
                  <option key={checkpoint.id} value={`step:${checkpoint.step}`}>
                    Fine-tuned model, checkpoint at step {checkpoint.step}
                    {checkpoint.eval_loss !== null ? ` (val loss ${formatLoss(checkpoint.eval_loss)})` : ""}
                  </option>
                ))}
                <option value="base">Base model, unquantised: {run.base_model}</option>
              </select>
              {error("source")}
              <div className="hint">
                {kept.length === 0
                  ? "No earlier checkpoint is still on disk (the trainer keeps the last few and the best)."
                  : `${plural(kept.length, "earlier checkpoint")} still on disk; the trainer deletes older ones.`}
              </div>
            </fieldset>

            <fieldset className="eval-fieldset">
              <legend>Examples</legend>
              <div className="eval-dialog-grid eval-dialog-grid-2">
                <div className="eval-dialog-field">
                  <label htmlFor="eval-datasetId">Dataset</label>
                  <select
                    {...field("datasetId")}
                    className="select"
                    value={form.datasetId}
                    onChange={(event) => {
                      const id = Number(event.target.value);
                      change("datasetId", id);
                      const next = datasets.find((d) => d.id === id);
                      if (countOf(next, examples) === 0) change("examples", null);
                    }}
                  >
                    {listsRunDataset ? null : <option value={run.dataset_id}>dataset #{run.dataset_id} (this run's)</option>}
                    {datasets.map((d) => (
                      <option key={d.id} value={d.id}>
                        {d.name}
                        {d.id === run.dataset_id ? " (this run's)" : ""}
                      </option>
                    ))}
                  </select>
                  {error("datasetId")}
                </div>
                <div className="eval-dialog-field">
                  <label htmlFor="eval-examples">Which examples</label>
                  <select
                    {...field("examples")}
                    className="select"
                    value={examples}
                    onChange={(event) => change("examples", event.target.value as Examples)}
                  >
                    {SPLITS.map(({ value, label }) => {
                      const n = countOf(dataset, value);
                      return (
                        <option key={value} value={value} disabled={n === 0}>
                          {label}
                          {n === null ? "" : ` (${plural(n, "example")})`}
                        </option>
                      );
                    })}
                  </select>
                  {error("examples")}
                </div>
              </div>
              <div className="hint">
                Prompted with this run’s template{template ? ` (${template})` : ""}, as in training. Only the test
                split was neither trained on nor used to pick the best checkpoint.
              </div>
            </fieldset>

            <fieldset className="eval-fieldset">
              <legend>Decoding</legend>
              <div className="segmented" role="radiogroup" aria-label="Decoding" data-testid="eval-strategy">
                {(["greedy", "sampling"] as const).map((strategy) => (
                  <button
                    key={strategy}
                    type="button"
                    role="radio"
                    aria-checked={form.strategy === strategy}
                    className={form.strategy === strategy ? "active" : undefined}
                    data-strategy={strategy}
                    onClick={() => change("strategy", strategy)}
                  >
                    {strategy === "greedy" ? "Greedy" : "Sampling"}
                  </button>
                ))}
              </div>
              <div className="hint">
                {form.strategy === "greedy"
                  ? "Always the likeliest next token: the same answers every time."
                  : "Drawn at random within temperature, top-p and top-k; the same seed gives the same answers."}
              </div>
              {form.strategy === "sampling" ? (
                <div className="eval-dialog-grid eval-dialog-grid-4">
                  <div className="eval-dialog-field">
                    <label htmlFor="eval-temperature">Temperature</label>
                    {numberInput("temperature", { step: "0.05", min: "0.01", max: "2" })}
                    {error("temperature")}
                  </div>
                  <div className="eval-dialog-field">
                    <label htmlFor="eval-topP">Top-p</label>
                    {numberInput("topP", { step: "0.05", min: "0.01", max: "1" })}
                    {error("topP")}
                  </div>
                  <div className="eval-dialog-field">
                    <label htmlFor="eval-topK">Top-k</label>
                    {numberInput("topK", { step: "1", min: "0" })}
                    {error("topK")}
                  </div>
                  <div className="eval-dialog-field">
                    <label htmlFor="eval-seed">Seed</label>
                    {numberInput("seed", { step: "1", min: "0" })}
                    {error("seed")}
                  </div>
                </div>
              ) : null}
              <div className="eval-dialog-grid eval-dialog-grid-2">
                <div className="eval-dialog-field">
                  <label htmlFor="eval-maxNewTokens">Max new tokens</label>
                  {numberInput("maxNewTokens", {
                    step: "1",
                    min: "1",
                    placeholder: runMaxNewTokens === null ? "the run's" : `${runMaxNewTokens} (the run's)`,
                  })}
                  {error("maxNewTokens")}
                </div>
                <div className="eval-dialog-field">
                  <label htmlFor="eval-repetitionPenalty">Repetition penalty</label>
                  {numberInput("repetitionPenalty", { step: "0.05", min: "1", max: "2" })}
                  {error("repetitionPenalty")}
                </div>
              </div>
              <div className="hint">
                Longer answers: slower, fewer cut off. A repetition penalty above 1 discourages repeating tokens; 1 is
                off.
              </div>
              <div className="eval-dialog-field">
                <label htmlFor="eval-stop">Stop strings</label>
                <textarea
                  {...field("stop")}
                  className="input eval-stop"
                  rows={2}
                  placeholder="one a line, up to 4 (e.g. ###)"
                  value={form.stop}
                  onChange={(event) => change("stop", event.target.value)}
                />
                {error("stop")}
              </div>
            </fieldset>

            <fieldset className="eval-fieldset">
              <legend>Batch size</legend>
              <div className="eval-dialog-grid eval-dialog-grid-2">
                <div className="eval-dialog-field">
                  {numberInput("batchSize", { step: "1", min: "1", max: "64", placeholder: "from memory" })}
                  {error("batchSize")}
                </div>
              </div>
              <div className="hint">
                At most this many prompts answered together. Empty: as many as the free memory holds. Smaller: finer
                progress and a cancel that stops sooner.
              </div>
            </fieldset>
            <fieldset className="eval-fieldset" data-testid="eval-judge-section">
              <legend>LLM judge</legend>
              <label className="eval-dialog-check">
                <input
                  type="checkbox"
                  checked={form.judge}
                  onChange={(event) => change("judge", event.target.checked)}
                  data-testid="eval-judge"
                />{" "}
                Judge the answers
              </label>
              <div className="hint">
                Once the answers are in, a judge grades each from 0 to 100 against the expected answer and says why;
                an answer it cannot grade is “not judged”, never 0.
              </div>
              {!form.judge ? null : judges.isError ? (
                <ErrorNotice error={judges.error} title="Could not load your judges" />
              ) : judges.data?.items.length === 0 ? (
                <>
                  <p className="muted" data-testid="eval-judge-none">
                    No judges yet: <Link to="/judges">add one on the Judges page</Link> (an OpenAI-compatible endpoint,
                    or a base model in the studio).
                  </p>
                  {error("judgeId")}
                </>
              ) : (
                <>
                  <div className="eval-dialog-field">
                    <label htmlFor="eval-judgeId">Judge</label>
                    <select
                      {...field("judgeId")}
                      className="select"
                      value={judgeId ?? ""}
                      onChange={(event) => change("judgeId", Number(event.target.value))}
                    >
                      {(judges.data?.items ?? []).map((item) => (
                        <option key={item.id} value={item.id}>
                          {item.name} ({item.model})
                        </option>
                      ))}
                    </select>
                    {error("judgeId")}
                  </div>
                  <div className="eval-dialog-field">
                    <label htmlFor="eval-rubric">
                      Rubric{" "}
                      <span className="muted small">
                        with {(rubrics.data?.score.placeholders ?? []).map((name) => `{${name}}`).join(", ")}
                      </span>
                    </label>
                    <textarea
                      {...field("rubric")}
                      className="input mono-text eval-rubric"
                      rows={8}
                      value={form.rubric ?? defaultRubric}
                      onChange={(event) => change("rubric", event.target.value)}
                    />
                    {error("rubric")}
                    {form.rubric !== null && form.rubric !== defaultRubric ? (
                      <button type="button" className="link-button small" onClick={() => change("rubric", null)}>
                        Back to the default rubric
                      </button>
                    ) : null}
                  </div>
                </>
              )}
            </fieldset>
            {unplaced ? <ErrorNotice error={unplaced} title="The evaluation was not created" testId="evaluate-error" /> : null}
          </div>
          <div className="eval-dialog-footer">
            <button type="button" className="btn" onClick={() => dialog.current?.close()}>
              Close
            </button>
            <button type="submit" className="btn btn-primary" disabled={create.isPending} data-testid="evaluate-submit">
              {create.isPending
                ? "Queueing…"
                : count === null
                  ? "Evaluate"
                  : `Evaluate ${plural(count, "example")}`}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
