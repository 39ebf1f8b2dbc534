"""What a person wrote for an example, without the template: shown next to each answer and exported."""

from domain.records import AlpacaRecord, ChatRecord, Message, PromptCompletionRecord, instruction_and_input


def test_the_instruction_and_input_of_each_shape() -> None:
    assert instruction_and_input(AlpacaRecord(instruction="Translate.", input="Καλημέρα", output="Good morning")) == (
        "Translate.",
        "Καλημέρα",
    )
    assert instruction_and_input(PromptCompletionRecord(prompt="2+2=", completion="4")) == ("2+2=", "")
    chat = ChatRecord(
        messages=(
            Message(role="system", content="Be brief."),
            Message(role="user", content="Hi"),
            Message(role="assistant", content="Hello"),
            Message(role="user", content="Capital of France?"),
            Message(role="assistant", content="Paris"),
        )
    )
    assert instruction_and_input(chat) == ("Capital of France?", "")
