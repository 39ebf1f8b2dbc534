"""Attention for padding-free rows on CPU: each packed example attends causally to itself alone, computed one
example at a time.

SDPA given a packed row builds one block-diagonal mask over the whole row and computes every block of it, masked or
not: a row of 8 examples does about 16 times the attention work of the examples alone, and the mask also turns off
SDPA's grouped-query path (keys and values are copied per head). Measured on the bundled model, attention was a sixth
of a CPU training step. The result is the same as SDPA's (tests/worker/test_methods.py compares logits and
gradients).
"""

from itertools import pairwise
from typing import Any

import torch
from transformers import AttentionInterface, AttentionMaskInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import sdpa_mask

PER_EXAMPLE_SDPA = "sdpa_per_example"


def example_bounds(position_ids: torch.Tensor) -> list[int]:
    """Where each packed example starts in a row, and the row's end; [] unless the row is examples packed end to end
    (each counts its positions from 0 by 1), as a left-padded prompt's positions are not."""
    positions = position_ids[0]
    starts = (torch.diff(positions) != 1).nonzero().flatten() + 1
    if positions[0] != 0 or bool((positions[starts] != 0).any()):
        return []
    return [0, *starts.tolist(), positions.numel()]


def per_example_sdpa(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    position_ids = kwargs.get("position_ids")
    bounds: list[int] = []
    if isinstance(position_ids, torch.Tensor) and query.shape[0] == 1 and query.shape[2] == key.shape[2]:
        bounds = example_bounds(position_ids)
    if len(bounds) <= 2:  # padded batches, generation with a cache, a single example: SDPA as it is
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    kwargs.pop("is_causal", None)
    outputs = [
        sdpa_attention_forward(
            module, query[:, :, start:end], key[:, :, start:end], value[:, :, start:end], None, is_causal=True, **kwargs
        )[0]
        for start, end in pairwise(bounds)
    ]
    return torch.cat(outputs, dim=1), None


AttentionInterface.register(PER_EXAMPLE_SDPA, per_example_sdpa)
# Padded batches (validation off the trainer, generation) still get SDPA's masks.
AttentionMaskInterface.register(PER_EXAMPLE_SDPA, sdpa_mask)
