"""How long a run with the default hyperparameters takes on this machine, launch to finished predictions.

The product promise: under 10 minutes on CPU for a ~120-row Alpaca-style dataset with the bundled model.
Usage: python bench/train_defaults.py [--models-dir .studio/models] [--output /tmp/bench-run]
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import AutoTokenizer

from domain.config import TrainingConfig
from domain.log import LogKind
from domain.records import AlpacaRecord, final_answer
from domain.templates import render
from worker.training.base_models import materialize_bundled_model
from worker.training.generate import generate_answers
from worker.training.sft import train
from worker.training.types import RunPaths, SplitData

CAPITALS = [
    ("France", "Paris"),
    ("Japan", "Tokyo"),
    ("Kenya", "Nairobi"),
    ("Canada", "Ottawa"),
    ("Peru", "Lima"),
    ("Norway", "Oslo"),
    ("Egypt", "Cairo"),
    ("Chile", "Santiago"),
    ("Poland", "Warsaw"),
    ("India", "New Delhi"),
    ("Spain", "Madrid"),
    ("Ghana", "Accra"),
    ("Vietnam", "Hanoi"),
    ("Ireland", "Dublin"),
    ("Australia", "Canberra"),
]
ANTONYMS = [
    ("hot", "cold"),
    ("early", "late"),
    ("generous", "selfish"),
    ("ancient", "modern"),
    ("brave", "cowardly"),
    ("expand", "contract"),
    ("victory", "defeat"),
    ("fragile", "sturdy"),
    ("accept", "refuse"),
    ("rare", "common"),
    ("shallow", "deep"),
    ("include", "exclude"),
    ("noisy", "quiet"),
    ("arrive", "depart"),
    ("optimistic", "pessimistic"),
]
CONCEPTS = [
    (
        "photosynthesis",
        "Photosynthesis is the process by which plants use sunlight, water and carbon dioxide to "
        "make sugar and release oxygen.",
    ),
    (
        "inflation",
        "Inflation is the general rise in prices over time, which means the same amount of money buys "
        "less than before.",
    ),
    (
        "a compiler",
        "A compiler is a program that translates source code written by people into machine code that a "
        "computer can run.",
    ),
    (
        "gravity",
        "Gravity is the force that pulls objects with mass toward each other; it keeps us on the ground and "
        "the planets in orbit.",
    ),
    (
        "a vaccine",
        "A vaccine trains the immune system to recognise a germ, so the body can fight it off quickly if "
        "it is exposed later.",
    ),
    (
        "a budget",
        "A budget is a plan that lists expected income and spending over a period, helping you decide "
        "where money goes.",
    ),
    (
        "democracy",
        "Democracy is a system of government in which citizens choose their leaders and decide laws through voting.",
    ),
    (
        "an algorithm",
        "An algorithm is a precise, step-by-step set of instructions for solving a problem or completing a task.",
    ),
    (
        "erosion",
        "Erosion is the slow wearing away of rock and soil by wind, water or ice, which then carry the "
        "material elsewhere.",
    ),
    (
        "a password manager",
        "A password manager is an app that stores your passwords securely and fills them in, so "
        "each account can have a strong, unique password.",
    ),
    (
        "the water cycle",
        "The water cycle is the continuous movement of water through evaporation, condensation into "
        "clouds, and precipitation back to the ground.",
    ),
    (
        "interest on a loan",
        "Interest is the extra money a borrower pays the lender for using the loan, usually a "
        "percentage of the amount borrowed.",
    ),
    (
        "a black hole",
        "A black hole is a region of space where gravity is so strong that nothing, not even light, can "
        "escape from it.",
    ),
    (
        "recycling",
        "Recycling is turning used materials such as paper, glass and plastic into new products instead of "
        "throwing them away.",
    ),
    (
        "a firewall",
        "A firewall is a security system that watches network traffic and blocks connections that break its rules.",
    ),
]
INFORMAL = [
    ("gonna be late, traffic is crazy", "I am going to be late because the traffic is very heavy."),
    ("can u send me the file asap", "Could you please send me the file as soon as possible?"),
    ("thx for the help yesterday!!", "Thank you very much for your help yesterday."),
    ("the meeting got moved to fri", "The meeting has been moved to Friday."),
    ("no idea what the boss wants", "I am unsure what the manager expects."),
    ("this printer is totally busted", "This printer is not working at all."),
    ("lemme know if u need anything", "Please let me know if you need anything."),
    ("we gotta fix this bug today", "We need to fix this defect today."),
    ("sorry, my bad, wrong email", "I apologise; I sent that email to the wrong address."),
    ("the new guy is super nice", "Our new colleague is very pleasant."),
    ("can't make it to the party tonight", "Unfortunately, I will not be able to attend the party tonight."),
    ("prices went up like crazy", "Prices have increased sharply."),
    ("the report's kinda messy", "The report needs some reorganisation."),
    ("call me when ur free", "Please call me when you are available."),
    ("that demo was awesome", "The demonstration was excellent."),
]
LONG_SENTENCES = [
    (
        "After months of planning and several delays caused by bad weather, the village finally opened its new "
        "library, which includes a children's corner and a small cafe.",
        "The village opened its new library.",
    ),
    (
        "The company reported that sales rose by twelve percent this quarter, mainly because of strong demand for its "
        "new line of electric bicycles.",
        "Sales rose 12% thanks to electric bicycles.",
    ),
    (
        "Researchers found that people who walked for thirty minutes a day slept better and reported feeling less "
        "stressed than those who did not exercise.",
        "Daily walks improve sleep and reduce stress.",
    ),
    (
        "Because the bridge needs urgent repairs, it will be closed to cars for three weeks, although pedestrians and "
        "cyclists can still cross.",
        "The bridge is closed to cars for three weeks.",
    ),
    (
        "The museum is extending its opening hours on Fridays until nine in the evening so that more visitors can see "
        "the popular dinosaur exhibition.",
        "The museum stays open later on Fridays.",
    ),
    (
        "Despite losing their first two matches, the team won the championship after an unbeaten run in the second "
        "half of the season.",
        "The team recovered to win the championship.",
    ),
    (
        "The city council voted to plant ten thousand trees over the next five years to provide shade and improve air "
        "quality in crowded neighbourhoods.",
        "The city will plant 10,000 trees.",
    ),
    (
        "Engineers discovered that the outage was caused by a faulty power supply in the data centre, not by the "
        "software update as first suspected.",
        "A faulty power supply caused the outage.",
    ),
    (
        "Farmers in the region expect a smaller harvest this year because an unusually dry spring slowed the growth of "
        "wheat and barley.",
        "A dry spring means a smaller harvest.",
    ),
    (
        "The school introduced free breakfast for all pupils, and teachers say children now arrive on time and "
        "concentrate better in morning lessons.",
        "Free breakfast improved pupils' focus.",
    ),
    (
        "Tickets for the festival sold out within an hour, so the organisers have added a second weekend with the "
        "same line-up of musicians.",
        "The festival added a second weekend.",
    ),
    (
        "The new phone has a larger battery and a brighter screen, but reviewers complain that it is heavier and more "
        "expensive than last year's model.",
        "The new phone is better but heavier and pricier.",
    ),
    (
        "Scientists tracking the glacier say it has retreated by almost a kilometre in twenty years, a change they "
        "link to rising temperatures.",
        "The glacier shrank a kilometre in twenty years.",
    ),
    (
        "The bakery on the corner will close next month after forty years, as the owners have decided to retire and "
        "no buyer has been found.",
        "The old bakery is closing as its owners retire.",
    ),
    (
        "Volunteers collected more than two tonnes of rubbish from the beach on Saturday, most of it plastic bottles "
        "and fishing nets.",
        "Volunteers removed two tonnes of beach rubbish.",
    ),
]
LISTS = [
    ("fruits that are red", ["strawberry", "cherry", "raspberry"]),
    ("programming languages", ["Python", "Rust", "JavaScript"]),
    ("planets in the solar system", ["Mars", "Venus", "Jupiter"]),
    ("musical instruments with strings", ["guitar", "violin", "harp"]),
    ("ways to save energy at home", ["switch off unused lights", "insulate the loft", "wash clothes at 30 degrees"]),
    ("mammals that live in the sea", ["dolphin", "whale", "seal"]),
    ("tips for a job interview", ["research the company", "prepare examples", "arrive early"]),
    ("vegetables that grow underground", ["carrot", "potato", "beetroot"]),
    ("board games", ["chess", "Monopoly", "Scrabble"]),
    ("sources of renewable energy", ["solar", "wind", "hydroelectric"]),
    ("things to pack for a beach trip", ["sunscreen", "towel", "water bottle"]),
    ("primary colours", ["red", "blue", "yellow"]),
    ("habits that improve sleep", ["a regular bedtime", "no screens late at night", "less caffeine"]),
    ("famous painters", ["Frida Kahlo", "Claude Monet", "Rembrandt"]),
    ("kitchen utensils", ["whisk", "ladle", "spatula"]),
]


def example(instruction: str, output: str, input: str = "") -> AlpacaRecord:
    return AlpacaRecord(instruction=instruction, input=input, output=output)


def alpaca_like_rows() -> list[AlpacaRecord]:
    """120 varied instruction rows (8 tasks x 15 rows), roughly 50-150 tokens each once rendered."""
    rng = random.Random(0)
    rows = [example(f"What is the capital of {c}?", f"The capital of {c} is {city}.") for c, city in CAPITALS]
    rows += [
        example("Give the opposite of the word.", f'The opposite of "{w}" is "{a}".', input=w) for w, a in ANTONYMS
    ]
    for _ in range(15):
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        rows.append(example("Add the two numbers.", f"{a} + {b} = {a + b}.", input=f"{a} and {b}"))
    for _ in range(15):
        km = rng.randint(2, 40)
        rows.append(example(f"Convert {km} kilometres to metres.", f"{km} kilometres is {km * 1000} metres."))
    rows += [example(f"Explain {c} in one or two sentences.", text) for c, text in CONCEPTS]
    rows += [example("Rewrite the message in a formal tone.", formal, input=msg) for msg, formal in INFORMAL]
    rows += [example("Summarise the text in one short sentence.", short, input=long) for long, short in LONG_SENTENCES]
    rows += [
        example(f"List three {what}.", "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1)))
        for what, items in LISTS
    ]
    rng.shuffle(rows)
    return rows


class TimingSink:
    """Records when each metric and event arrived."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.metrics_log: list[tuple[float, int, dict[str, float]]] = []
        self.lines: list[tuple[float, str]] = []

    def metrics(self, step: int, epoch: float | None, values: Mapping[str, float]) -> None:
        self.metrics_log.append((time.monotonic(), step, dict(values)))
        shown = " ".join(f"{k}={v:.4g}" for k, v in values.items())
        print(f"  {time.monotonic() - self.start:6.1f}s step {step} {shown}", flush=True)

    def log(self, message: str, kind: LogKind = LogKind.INFO) -> None:
        self.lines.append((time.monotonic(), message))
        print(f"  {time.monotonic() - self.start:6.1f}s -- {message}", flush=True)

    def cancel_requested(self) -> bool:
        return False

    def line_time(self, prefix: str) -> float:
        return next(t for t, message in self.lines if message.startswith(prefix))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models-dir", type=Path, default=Path(".studio/models"))
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    output = args.output or Path(tempfile.mkdtemp(prefix="bench-run-"))

    t0 = time.monotonic()
    base_model = str(materialize_bundled_model(args.models_dir))
    prepare_s = time.monotonic() - t0

    rows = alpaca_like_rows()
    data = SplitData(train=rows[:102], validation=rows[102:108], test=rows[108:])
    config = TrainingConfig.model_validate({})  # the defaults (a plain call needs the pydantic mypy plugin)
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    lengths = [len(tokenizer(render("alpaca", e).text)["input_ids"]) + 1 for e in rows]

    sink = TimingSink()
    result = train(config, data, RunPaths(base_model_location=base_model, output_dir=output), sink)
    train_end = time.monotonic()
    prompts = [render(config.template, e).prompt for e in data.test]
    tuned, base = generate_answers(base_model, result.weights_dir or output, prompts, config.max_new_tokens, sink)
    end = time.monotonic()

    train_logs = [(t, step) for t, step, values in sink.metrics_log if "train_loss" in values]
    eval_logs = {step: t for t, step, values in sink.metrics_log if "eval_loss" in values and step > 0}
    train_times = {step: t for t, step in train_logs}
    # Each mid-training evaluation runs right after its step's train log; the next step is timed without it.
    per_step = [
        t - train_times[step - 1] - (eval_logs[step - 1] - train_times[step - 1] if step - 1 in eval_logs else 0)
        for t, step in train_logs
        if step - 1 in train_times
    ]
    eval_s = [eval_logs[s] - train_times[s] for s in eval_logs if s in train_times]
    loop_start = sink.line_time("training ")
    base_eval_s = sink.line_time("base model validation loss") - sink.line_time("evaluating the base model")
    tuned_start = sink.line_time("fine-tuned model: answering")
    base_start = sink.line_time("base model: answering")
    answer_tokens = [len(tokenizer(a)["input_ids"]) for a in tuned + base]

    print("\n== figures (2 CPU cores, TrainingConfig defaults) ==")
    print(
        f"rows: {len(rows)} (102 train / 6 val / 12 test), tokens per row min/median/max: "
        f"{min(lengths)}/{int(statistics.median(lengths))}/{max(lengths)}"
    )
    print(f"bundled model ready: {prepare_s:.1f}s (conversion happens once, at `make up`)")
    print(f"load + tokenize: {sink.line_time('evaluating the base model') - sink.start:.1f}s")
    print(f"base-model validation: {base_eval_s:.1f}s")
    print(
        f"training loop: {result.global_step} steps in {train_logs[-1][0] - loop_start:.1f}s "
        f"(incl. {len(eval_s)} evals, {sum(eval_s):.1f}s)"
    )
    print(
        f"time per step: median {statistics.median(per_step):.2f}s, mean {statistics.mean(per_step):.2f}s, "
        f"max {max(per_step):.2f}s (step 1 incl. warm-up: {train_logs[0][0] - loop_start:.2f}s)"
    )
    print(f"train() total: {train_end - sink.start:.1f}s")
    print(
        f"generation 12 prompts × 2, max_new_tokens {config.max_new_tokens}: {end - train_end:.1f}s "
        f"(load {tuned_start - train_end:.1f}s, tuned {base_start - tuned_start:.1f}s, base {end - base_start:.1f}s)"
    )
    print(f"answer tokens tuned: {answer_tokens[:12]}")
    print(f"answer tokens base:  {answer_tokens[12:]}")
    print(f"launch → predictions: {end - sink.start:.1f}s ({(end - sink.start) / 60:.1f} min)")
    print(f"validation loss: base {result.base_eval_loss:.4f} → final {result.final_eval_loss:.4f}")
    for example, t_answer, b_answer in list(zip(data.test, tuned, base, strict=True))[:3]:
        print(
            f"\n# {render('alpaca', example).prompt[-120:]!r}\n  expected: {final_answer(example)!r}\n"
            f"  tuned:    {t_answer!r}\n  base:     {b_answer[:200]!r}"
        )


if __name__ == "__main__":
    main()
