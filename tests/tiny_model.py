"""A tiny random Llama for fast tests of the training and generation code (seconds on CPU).

Plain function, no pytest, so backend and end-to-end tests can build one too.
"""

from pathlib import Path

from domain.catalog import BUNDLED_GGUF_FILE, bundled_gguf_dir


def build_tiny_llama(path: Path, hidden_size: int = 32, initializer_range: float = 0.02) -> Path:
    """Save a randomly initialised 2-layer Llama with the bundled SmolLM2 tokenizer to `path`; returns `path`.

    bitsandbytes' 4-bit CPU kernels need layers at least 64 wide (one quantisation block): `hidden_size=64` for QLoRA.
    The default initialisation attends almost evenly to every token, whatever its position; larger weights
    (`initializer_range=1.0`) make the answers depend on where each token is.
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    # The bundled GGUF carries a real tokenizer, so no download is needed; its 49152-token vocabulary dominates
    # the parameter count (~1.6M) but keeps tokenization identical to the real model.
    tokenizer = AutoTokenizer.from_pretrained(bundled_gguf_dir(), gguf_file=BUNDLED_GGUF_FILE)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        initializer_range=initializer_range,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
