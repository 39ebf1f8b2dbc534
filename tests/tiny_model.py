"""A tiny random Llama for fast tests of the training and generation code (seconds on CPU).

Plain function, no pytest, so backend and end-to-end tests can build one too.
"""

from pathlib import Path

from domain.catalog import BUNDLED_GGUF_FILE, bundled_gguf_dir


def build_tiny_llama(path: Path) -> Path:
    """Save a randomly initialised 2-layer Llama with the bundled SmolLM2 tokenizer to `path`; returns `path`."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    # The bundled GGUF carries a real tokenizer, so no download is needed; its 49152-token vocabulary dominates
    # the parameter count (~1.6M) but keeps tokenization identical to the real model.
    tokenizer = AutoTokenizer.from_pretrained(bundled_gguf_dir(), gguf_file=BUNDLED_GGUF_FILE)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
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
