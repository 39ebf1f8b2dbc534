"""Celery tasks: thin wrappers that take ids, re-read the run, and call the plain training functions."""

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import datasets
import transformers
from celery.exceptions import Ignore
from celery.signals import worker_init
from transformers import TrainerCallback

from backend.core.config import get_settings
from backend.core.storage import LocalStorage
from backend.models import BaseModelEntry, Evaluation, RunStatus
from domain.artifacts import MERGED_DIR, run_storage_key
from domain.catalog import model_fingerprint, model_location, read_chat_template
from domain.config import TrainingConfig
from domain.log import LogKind
from domain.records import final_answer
from domain.templates import render_records
from domain.text import plural
from worker import benchmark_store, evaluation_store, judging_store, run_store
from worker.celery_app import app
from worker.evaluation_store import Answers
from worker.judge import Answered, Ask, Reply
from worker.judging import run_judging
from worker.judging_store import CannotJudge, JudgeSetup
from worker.leases import WORKER_ID, Lease
from worker.oom_retry import OomRetry
from worker.sinks import DatabaseSink
from worker.training.base_models import materialize_bundled_model
from worker.training.choices import score_questions
from worker.training.generate import answer_prompts, generate_answers
from worker.training.hardware import use_cpu_threads
from worker.training.local_judge import MAX_NEW_TOKENS as MAX_JUDGE_TOKENS
from worker.training.local_judge import chat_answers
from worker.training.memory import PeakMemory
from worker.training.merge import merge_adapter
from worker.training.oom import SimulatedOutOfMemory
from worker.training.preflight import preflight
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData, TrainingResult, TrainingStopped

log = logging.getLogger(__name__)
# Progress bars are noise in worker logs; the run's own events say how far it got.
datasets.disable_progress_bars()
transformers.utils.logging.disable_progress_bar()


@worker_init.connect
def _use_cpu_threads(**_kwargs: Any) -> None:
    use_cpu_threads()


def describe_failure(exc: BaseException, batch_size: int) -> str:
    """What the user reads on the run page: what went wrong and what to try."""
    if isinstance(exc, TrainingStopped):
        return f"Stopped at step {exc.step}: {exc.reason}"
    if "out of memory" in str(exc).lower():
        return (
            f"Out of memory at batch size {batch_size}: try {max(1, batch_size // 2)}, a shorter max_seq_length, "
            "or enable gradient_checkpointing."
        )
    return f"{type(exc).__name__}: {exc}"


@app.task(name="runs.train")
def train_run(run_id: int) -> None:
    if not run_store.claim(run_id, WORKER_ID):
        log.info("run %s is no longer queued; skipping", run_id)
        raise Ignore()
    with Lease(run_id) as lease:
        _train_claimed(lease)


def _train_claimed(lease: Lease) -> None:
    run_id = lease.run_id
    settings = get_settings()
    storage = LocalStorage(settings.storage_dir)
    sink = DatabaseSink(lease, storage)
    retry: OomRetry | None = None
    try:
        resume = run_store.prepare_resume(run_id)
        if resume is not None:
            sink.log(f"resuming from the checkpoint at step {resume.step}", LogKind.RESUME)
        inputs = run_store.load_inputs(run_id)
        entry = inputs.base_model
        base_model = model_location(entry.name, entry.source, entry.location, settings.models_dir)
        if entry.source == "bundled":
            sink.log("preparing the bundled base model (first use converts it once)", LogKind.PROGRESS)
            materialize_bundled_model(settings.models_dir)
        context = replace(inputs.config.template_context, chat_template=read_chat_template(base_model))
        data = replace(inputs.data, template_context=context)
        paths = RunPaths(
            base_model_location=base_model,
            output_dir=storage.local_path(run_storage_key(run_id)),
            resume_from=resume.checkpoint_dir if resume else None,
            base_eval_loss=resume.base_eval_loss if resume else None,
            unquantised_base_eval_loss=resume.unquantised_base_eval_loss if resume else None,
        )
        retry = OomRetry(lease, sink, inputs.config, paths)
        limit = settings.simulate_oom_above_batch
        callbacks = [SimulatedOutOfMemory(limit)] if limit is not None else []
        # A resumed run has trained already: its memory and speed are known.
        if inputs.preflight and resume is None and not _preflight(retry, data, callbacks):
            sink.flush()
            run_store.finish(run_id, lease.owner, RunStatus.CANCELLED, "cancelled during the pre-flight")
            return
        with PeakMemory() as peak:
            result = retry.run(lambda config, paths: train(config, data, paths, sink, extra_callbacks=callbacks))
        sink.flush()  # the charts are complete before the run's end (or its answers) is recorded
        facts: dict[str, Any] = {
            "environment": {
                **result.environment,
                "device": result.device,
                "quantization": result.quantization,
                "peak_memory_bytes": peak.bytes,
                "base_model": {
                    "name": inputs.base_model.name,
                    "location": base_model,
                    "fingerprint": model_fingerprint(base_model),
                },
            },
            "base_eval_loss": result.base_eval_loss,
            "unquantised_base_eval_loss": result.unquantised_base_eval_loss,
            "final_eval_loss": result.final_eval_loss,
        }
        if result.cancelled or result.weights_dir is None:
            run_store.finish(
                run_id, lease.owner, RunStatus.CANCELLED, f"cancelled at step {result.global_step}", **facts
            )
            if not run_store.exists(run_id):  # deleted while training: what it saved since goes too
                storage.delete(run_storage_key(run_id))
            return

        prompts = [rendered.prompt for rendered in render_records(inputs.config.template, data.test, context)]
        tuned, base = generate_answers(base_model, result.weights_dir, prompts, inputs.config.max_new_tokens, sink=sink)
        _publish_weights(lease, inputs.config, base_model, result, sink)
        answers = Answers(inputs.test_example_ids, prompts, [final_answer(record) for record in data.test], tuned, base)
        message = f"finished after {plural(result.global_step, 'step')}" + (
            f": {result.stop_reason}" if result.stop_reason else ""
        )
        run_store.finish(run_id, lease.owner, RunStatus.SUCCEEDED, message, answers=answers, **facts)
    except Exception as exc:
        log.exception("run %s failed", run_id)
        try:
            sink.flush()
        except Exception:
            log.exception("run %s: its last metric points could not be written", run_id)
        batch_size = retry.config.per_device_train_batch_size if retry else 0
        run_store.finish(run_id, lease.owner, RunStatus.FAILED, "failed", error=describe_failure(exc, batch_size))


def _preflight(retry: OomRetry, data: SplitData, callbacks: Sequence[TrainerCallback]) -> bool:
    """Measure a few steps before the run (out-of-memory errors retried like the run's), and record the figures for
    the run page's ETA. False when the user cancelled meanwhile."""
    measured = retry.run(lambda config, paths: preflight(config, data, paths, retry.sink, callbacks))
    if measured is None:
        retry.sink.log("cancelled during the pre-flight", LogKind.STOPPED)
        return False
    retry.sink.log(measured.describe(), LogKind.PREFLIGHT)
    run_store.record_preflight(retry.lease.run_id, retry.lease.owner, measured.figures())
    return True


def _publish_weights(
    lease: Lease, config: TrainingConfig, base_model: str, result: TrainingResult, sink: DatabaseSink
) -> None:
    """Merge the adapter into the base model when asked, then record the final weights for the API's downloads."""
    weights_dir, step = result.weights_dir, result.weights_step
    assert weights_dir is not None and step is not None  # a run that was not cancelled saved its weights
    if config.merge_adapter and result.weights_kind == "model":
        sink.log(
            "merge_adapter has no effect: method full trained the whole model, there is no adapter to merge",
            LogKind.WARNING,
        )
    elif config.merge_adapter:
        try:
            merge_adapter(base_model, weights_dir, weights_dir.parent / MERGED_DIR, sink)
        except Exception as exc:
            # The adapter and the answers are the run's results and are fine: a merge that fails (memory, disk) is
            # reported, not turned into a failed run.
            log.exception("run %s: merging the adapter failed", lease.run_id)
            sink.log(
                f"merging the adapter failed, the adapter is unaffected: {type(exc).__name__}: {exc}", LogKind.WARNING
            )
    run_store.record_final_weights(lease.run_id, lease.owner, weights_dir, step, result.final_eval_loss)


@app.task(name="evaluations.run")
def run_evaluation(evaluation_id: int) -> None:
    """An evaluation created on demand: the run's template renders the examples, the chosen weights answer them with
    the evaluation's decoding, batch by batch (`done` after each, a cancel checked), and the answers are scored."""
    if not evaluation_store.claim(evaluation_id, WORKER_ID):
        log.info("evaluation %s is no longer queued; skipping", evaluation_id)
        raise Ignore()
    with Lease(evaluation_id, WORKER_ID, table=Evaluation):
        if benchmark_store.is_multiple_choice(evaluation_id):
            _score_benchmark(evaluation_id)
        else:
            _evaluate_claimed(evaluation_id)


def _evaluate_claimed(evaluation_id: int) -> None:
    try:
        inputs = evaluation_store.load_inputs(evaluation_id)
        base_model = _answering_model_dir(inputs.base_model)
        # The same renderer and context as the trainer's prompts (see _train_claimed).
        context = replace(inputs.config.template_context, chat_template=read_chat_template(base_model))
        prompts = [rendered.prompt for rendered in render_records(inputs.config.template, inputs.records, context)]
        generated = answer_prompts(
            base_model,
            inputs.weights_dir,
            prompts,
            inputs.decoding,
            inputs.max_new_tokens,
            max_batch_size=inputs.batch_size,
            progress=lambda done: evaluation_store.record_progress(evaluation_id, WORKER_ID, done),
        )
        if generated is None:
            evaluation_store.finish(evaluation_id, WORKER_ID, RunStatus.CANCELLED)
            judging_store.abandon(evaluation_id, "the evaluation was cancelled: there are no answers to judge")
            return
        finished = evaluation_store.finish(
            evaluation_id,
            WORKER_ID,
            RunStatus.SUCCEEDED,
            example_ids=inputs.example_ids,
            prompts=prompts,
            expected=[final_answer(record) for record in inputs.records],
            generated=generated,
        )
        if finished:
            judging_store.release(evaluation_id)  # a judge asked for with the evaluation judges its answers now
    except Exception as exc:
        log.exception("evaluation %s failed", evaluation_id)
        evaluation_store.finish(evaluation_id, WORKER_ID, RunStatus.FAILED, error=describe_failure(exc, 0))
        judging_store.abandon(evaluation_id, "the evaluation failed: there are no answers to judge")


def _score_benchmark(evaluation_id: int) -> None:
    """A claimed multiple_choice evaluation: every choice of every question scored by log-likelihood, batch by batch
    (`done` after each, a cancel checked), then the answers and their accuracy stored."""
    try:
        inputs = benchmark_store.load_inputs(evaluation_id)
        base_model = _answering_model_dir(inputs.base_model)
        logliks = score_questions(
            base_model,
            inputs.weights_dir,
            inputs.questions,
            batch_size=inputs.batch_size,
            progress=lambda done: evaluation_store.record_progress(evaluation_id, WORKER_ID, done),
        )
        if logliks is None:
            evaluation_store.finish(evaluation_id, WORKER_ID, RunStatus.CANCELLED)
            return
        benchmark_store.finish(evaluation_id, WORKER_ID, inputs, logliks)
    except Exception as exc:
        log.exception("evaluation %s failed", evaluation_id)
        evaluation_store.finish(evaluation_id, WORKER_ID, RunStatus.FAILED, error=describe_failure(exc, 0))


@app.task(name="judgings.judge_with_model")  # backend.core.queue.JUDGE_WITH_MODEL_TASK
def judge_with_model(judging_id: int) -> None:
    """A judging whose judge is a base model of the studio's: it is loaded here and generates the judge's replies."""
    if not run_judging(judging_id, model_judge):
        log.info("judging %s is no longer queued; skipping", judging_id)
        raise Ignore()


def model_judge(setup: JudgeSetup, max_new_tokens: int = MAX_JUDGE_TOKENS) -> Ask:
    """A registered base model as the judge, read like an endpoint."""
    entry = setup.base_model
    if entry is None:
        raise CannotJudge("this judge is an endpoint: a light worker judges with it")
    location = _answering_model_dir(entry)

    def ask(prompts: list[str], answered: Answered) -> list[Reply]:
        answers = chat_answers(location, prompts, answered, max_new_tokens=max_new_tokens)
        return [Reply(answer.text, None, answer.prompt_tokens, answer.completion_tokens) for answer in answers]

    return ask


def _answering_model_dir(entry: BaseModelEntry) -> str:
    """Where a base model is on this worker, the bundled one converted first if this worker has not yet."""
    settings = get_settings()
    if entry.source == "bundled":
        materialize_bundled_model(settings.models_dir)
    return model_location(entry.name, entry.source, entry.location, settings.models_dir)
