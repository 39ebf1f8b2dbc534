"""TRL's fused LM head scores only the positions the loss counts, on CPU too.

TRL projects through the LM head in tiles and, where its Triton kernels run, only at the positions whose label is
kept. Elsewhere it scores every position, prompt included, so that compilers see one shape per batch; eager CPU
training compiles nothing. The prompt is most of an instruction example, and on the bundled model the head was over a
third of a CPU step: scoring the answers alone made a step about a quarter faster, with the same loss and gradients
(tests/worker/test_lm_head.py).
"""

import torch
import trl.trainer.utils as trl_utils

_triton_device = trl_utils._use_triton


def _scores_kept_positions_only(device: torch.device) -> bool:
    # Read by TRL only to choose which positions to score; its kernels choose Triton or torch from their own copy.
    return device.type == "cpu" or _triton_device(device)


def score_kept_positions_only() -> None:
    trl_utils._use_triton = _scores_kept_positions_only
