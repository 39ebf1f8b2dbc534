"""Converting the bundled base model once: transformers dequantises GGUF on every load (slow), so the worker saves
it as a safetensors directory where domain.catalog.model_location expects it.

Command line (used by `make up`): python -m worker.training.base_models prepare --models-dir DIR
"""

import argparse
import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

from domain.catalog import BUNDLED_GGUF_FILE, BUNDLED_MODEL_NAME, bundled_gguf_dir


def _is_complete(model_dir: Path) -> bool:
    # The directory only appears through an atomic rename, so its config and weights mean a finished conversion.
    return (model_dir / "config.json").is_file() and any(model_dir.glob("*.safetensors"))


def materialize_bundled_model(models_dir: Path) -> Path:
    """Convert the bundled GGUF to `models_dir/smollm2-135m-instruct` (safetensors) once; later calls return at once."""
    target = models_dir / BUNDLED_MODEL_NAME
    if _is_complete(target):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    # Several workers may start together: one converts, the others wait and then see the finished directory.
    with FileLock(str(models_dir / f".{BUNDLED_MODEL_NAME}.lock")):
        if _is_complete(target):
            return target
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source = bundled_gguf_dir()
        model = AutoModelForCausalLM.from_pretrained(source, gguf_file=BUNDLED_GGUF_FILE)
        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=BUNDLED_GGUF_FILE)
        # The weights are already dequantised to float. Without the quantizer save_pretrained accepts the model;
        # without the config entry a reload is a plain float model rather than one flagged as GGUF-quantised.
        model.hf_quantizer = None  # type: ignore[assignment]  # nn.Module's setattr typing
        del model.config.quantization_config
        tmp = Path(tempfile.mkdtemp(prefix=f".{BUNDLED_MODEL_NAME}-", dir=models_dir))
        try:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            # mkdtemp creates a private (0700) directory; the API and other users only need to read it.
            tmp.chmod(0o755)
            for file in tmp.iterdir():
                file.chmod(0o644)
            if target.exists():  # a leftover from an interrupted run without weights
                shutil.rmtree(target)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.training.base_models")
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="convert the bundled model to safetensors (once)")
    prepare.add_argument("--models-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        print(materialize_bundled_model(args.models_dir))


if __name__ == "__main__":
    main()
