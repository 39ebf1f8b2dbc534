from backend.datasets.conversion import PARAPHRASES, LabelledRow, convert

ROWS = [
    LabelledRow(1, "The screen cracked after a day.", "complaint"),
    LabelledRow(2, "Thanks, delivery was quick!", "non-complaint"),
    LabelledRow(3, "Still waiting for my refund.", "complaint"),
    LabelledRow(4, "Love the colour.", "non-complaint"),
]


class TestConvert:
    def test_each_row_states_the_task_and_lists_every_label(self) -> None:
        examples = convert(ROWS, task="Is the message a complaint?", paraphrases=1, inverted=False)

        assert [e.record.input for e in examples] == [row.text for row in ROWS]
        assert [e.record.output for e in examples] == [row.label for row in ROWS]
        assert examples[0].record.instruction == (
            "Is the message a complaint?\n\nOPTIONS:\n- complaint\n- non-complaint"
        )

    def test_paraphrases_vary_the_instruction_reproducibly(self) -> None:
        rows = [LabelledRow(i, f"text {i}", "a" if i % 2 else "b") for i in range(200)]
        first = convert(rows, task="Pick a or b.", paraphrases=5, inverted=False, seed=7)
        again = convert(rows, task="Pick a or b.", paraphrases=5, inverted=False, seed=7)

        assert first == again
        heads = {e.record.instruction.split("\n\nOPTIONS")[0] for e in first}
        expected = {
            p.split("\n\n{options}")[0].format(task="Pick a or b.", task_lower="pick a or b.") for p in PARAPHRASES[:5]
        }
        assert heads == expected

    def test_inverted_asks_for_a_text_with_the_label(self) -> None:
        examples = convert(ROWS[:1], task="Is the message a complaint?", paraphrases=1, inverted=True)

        assert len(examples) == 2
        inverted = examples[1]
        assert inverted.inverted
        assert '"complaint"' in inverted.record.instruction
        assert inverted.record.output == "The screen cracked after a day."
        assert inverted.record.input == ""
