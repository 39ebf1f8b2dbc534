"""Fine-tune from the command line, without the studio: the same `train` the worker runs, reporting to stdout.

python -m worker.training.cli --data rows.jsonl --base-model DIR_OR_NAME --output DIR
"""

import argparse
import json
from collections.abc import Mapping
from pathlib import Path

from domain.catalog import BUNDLED_MODEL_NAME, read_chat_template
from domain.config import TrainingConfig
from domain.log import LogKind
from domain.records import AlpacaRecord
from domain.templates import TemplateContext
from worker.training.base_models import materialize_bundled_model
from worker.training.hardware import use_cpu_threads
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData


def locate_base_model(name_or_path: str, models_dir: Path) -> str:
    """The bundled name becomes its converted directory; a local directory stays; anything else is a hub id."""
    if name_or_path == BUNDLED_MODEL_NAME:
        return str(materialize_bundled_model(models_dir))
    if Path(name_or_path).expanduser().is_dir():
        return str(Path(name_or_path).expanduser())
    return name_or_path


class PrintSink:
    """TrainingSink for the command line."""

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        shown = " ".join(f"{name}={value:.4g}" for name, value in values.items())
        print(f"step {step} epoch {epoch or 0:.2f} {shown}", flush=True)

    def log(self, message: str, kind: LogKind = LogKind.INFO) -> None:
        print(f"-- {message}", flush=True)

    def cancel_requested(self) -> bool:
        return False

    def checkpoint(self, step: int, path: Path, eval_loss: float | None) -> None:
        shown = f", validation loss {eval_loss:.4f}" if eval_loss is not None else ""
        print(f"-- checkpoint of step {step} saved to {path}{shown}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.training.cli")
    parser.add_argument("--data", type=Path, required=True, help="JSONL rows with instruction, input?, output")
    parser.add_argument("--base-model", required=True, help="local directory, hub id or the bundled model's name")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--models-dir", type=Path, default=Path(".studio/models"), help="for the bundled model")
    parser.add_argument("--config", default="{}", help='TrainingConfig overrides as JSON, e.g. {"max_steps": 10}')
    parser.add_argument("--validation-fraction", type=float, default=0.1)
    parser.add_argument("--resume-from", type=Path, default=None, help="a checkpoint-N directory under --output")
    args = parser.parse_args(argv)

    config = TrainingConfig.model_validate_json(args.config)
    lines = args.data.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    examples = [AlpacaRecord(instruction=r["instruction"], output=r["output"], input=r.get("input", "")) for r in rows]
    n_validation = max(1, round(len(examples) * args.validation_fraction)) if len(examples) > 1 else 0
    base_model = locate_base_model(args.base_model, args.models_dir)
    context = TemplateContext(chat_template=read_chat_template(base_model), custom_template=config.custom_template)
    split = SplitData(
        train=examples[n_validation:], validation=examples[:n_validation], test=[], template_context=context
    )
    paths = RunPaths(base_model_location=base_model, output_dir=args.output, resume_from=args.resume_from)
    use_cpu_threads()
    result = train(config, split, paths, PrintSink())
    print(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(result).items()}, indent=2))


if __name__ == "__main__":
    main()
