"""The bundled SmolLM2-135M really learns: a few LoRA steps on CPU lower the validation loss."""

from pathlib import Path

import pytest

from domain.config import TrainingConfig
from domain.records import AlpacaRecord
from tests.worker.conftest import RecordingSink
from worker.training.base_models import materialize_bundled_model
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData

REVIEWS = [
    ("I loved every minute of this film.", "positive"),
    ("The food was cold and the waiter was rude.", "negative"),
    ("Best purchase I have made all year.", "positive"),
    ("The battery died after two days.", "negative"),
    ("A warm, funny and beautiful story.", "positive"),
    ("I want my money back.", "negative"),
    ("The staff were friendly and helpful.", "positive"),
    ("It broke the first time I used it.", "negative"),
    ("Great value and fast delivery.", "positive"),
    ("Boring plot and terrible acting.", "negative"),
    ("This app makes my day so much easier.", "positive"),
    ("The room smelled awful and was dirty.", "negative"),
    ("Absolutely delicious, we will come back.", "positive"),
    ("Customer service never answered my emails.", "negative"),
    ("The concert was amazing from start to finish.", "positive"),
    ("Too expensive for such poor quality.", "negative"),
    ("My kids adore this game.", "positive"),
    ("The update made everything slower.", "negative"),
    ("Comfortable shoes that look great.", "positive"),
    ("The package arrived damaged and late.", "negative"),
    ("A brilliant book, I could not put it down.", "positive"),
    ("The hotel lost our reservation.", "negative"),
    ("Such a relaxing and lovely holiday.", "positive"),
    ("The screen cracked within a week.", "negative"),
    ("Wonderful teacher, clear and patient.", "positive"),
    ("The movie was a complete waste of time.", "negative"),
    ("The garden is gorgeous in spring.", "positive"),
    ("Noisy neighbours kept us awake all night.", "negative"),
    ("Fantastic sound quality for the price.", "positive"),
    ("The instructions were confusing and wrong.", "negative"),
    ("I am thrilled with the results.", "positive"),
    ("The coffee tasted burnt and bitter.", "negative"),
    ("Lovely design and easy to set up.", "positive"),
    ("The train was cancelled without notice.", "negative"),
    ("An inspiring talk that made me think.", "positive"),
    ("The soup was far too salty.", "negative"),
    ("Our guide was knowledgeable and fun.", "positive"),
    ("The zipper broke on the first day.", "negative"),
    ("A delightful little cafe with great cake.", "positive"),
    ("The software crashes every hour.", "negative"),
]
ROWS = [
    AlpacaRecord(instruction="Classify the sentiment of the review as positive or negative.", input=text, output=label)
    for text, label in REVIEWS
]


@pytest.mark.slow
def test_lora_on_bundled_model_lowers_validation_loss(models_dir: Path, tmp_path: Path) -> None:
    base_model = materialize_bundled_model(models_dir)
    data = SplitData(train=ROWS[:32], validation=ROWS[32:], test=[])
    # ~30 s on 2 cores; measured 4.9 → 0.03 (the base model answers in sentences, not one word).
    config = TrainingConfig(max_steps=6, per_device_train_batch_size=4, eval_steps=3, learning_rate=1e-3)
    sink = RecordingSink()
    result = train(config, data, RunPaths(base_model_location=str(base_model), output_dir=tmp_path), sink)
    assert result.base_eval_loss is not None and result.final_eval_loss is not None
    assert result.final_eval_loss < result.base_eval_loss, sink.lines
    assert result.weights_dir is not None and (result.weights_dir / "adapter_model.safetensors").is_file()
