"""TRL's fused LM head on CPU scores only the positions the loss keeps: the same loss and gradients as scoring every
position, from fewer rows through the head."""

from pathlib import Path

import pytest
import torch
import trl.trainer.utils as trl_utils
from transformers import AutoModelForCausalLM
from trl.trainer.utils import add_fused_lm_head

from worker.training import lm_head


def _loss_and_grads(model_dir: Path, labels: torch.Tensor) -> tuple[float, dict[str, torch.Tensor], list[int]]:
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    add_fused_lm_head(model)
    rows_scored: list[int] = []
    function = trl_utils._ChunkedLogProbFunction
    original_apply = function.apply

    def recording_apply(hidden: torch.Tensor, *args: object) -> object:
        rows_scored.append(hidden.shape[0])
        return original_apply(hidden, *args)

    function.apply = recording_apply  # type: ignore[method-assign]
    try:
        input_ids = torch.arange(10, 10 + labels.shape[1]).unsqueeze(0)
        output = model(input_ids=input_ids, labels=labels, fused_lm_head=True)
        output.loss.backward()
    finally:
        function.apply = original_apply  # type: ignore[method-assign]
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    return output.loss.item(), grads, rows_scored


def test_cpu_scores_only_the_answer_positions(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A 20-token example whose last 5 tokens are the answer: 5 labels kept after the shift, 19 positions in all.
    labels = torch.full((1, 20), -100)
    labels[0, 15:] = torch.arange(15, 20)
    # TRL's own choice, even where an earlier test in this process trained (and so applied the studio's).
    monkeypatch.setattr(trl_utils, "_use_triton", lm_head._triton_device)
    every_loss, every_grads, every_rows = _loss_and_grads(tiny_model, labels)
    assert every_rows == [19]  # off Triton: every position

    lm_head.score_kept_positions_only()
    kept_loss, kept_grads, kept_rows = _loss_and_grads(tiny_model, labels)
    assert kept_rows == [5]
    assert kept_loss == pytest.approx(every_loss, rel=1e-6)
    assert every_grads.keys() == kept_grads.keys() and every_grads
    for name, grad in every_grads.items():  # the same sums in another order: float rounding apart
        torch.testing.assert_close(kept_grads[name], grad, rtol=1e-4, atol=1e-5, msg=name)
