from typing import Literal

from pydantic import BaseModel, Field

HyperparameterType = Literal["int", "float", "bool", "string", "choice", "list"]
HyperparameterValue = bool | int | float | str | list[int] | list[str] | None


class HyperparameterSpec(BaseModel):
    """One field of the training config, typed for a form: what it takes, its default, bounds and help text."""

    name: str
    type: HyperparameterType = Field(
        description="int, float, bool, string (free text), choice (one of `choices`) or list (of `item_type`)."
    )
    item_type: Literal["int", "string"] | None = Field(description="A list's entries; None for other types.")
    default: HyperparameterValue
    nullable: bool = Field(description="None is allowed (the help text says what it means: off, every layer...).")
    minimum: int | float | None
    minimum_exclusive: bool = Field(description="The value must be above `minimum`, not equal to it.")
    maximum: int | float | None
    maximum_exclusive: bool = Field(description="The value must be below `maximum`, not equal to it.")
    choices: list[str] = Field(description="The allowed values of a choice, in the config's order; [] otherwise.")
    group: str = Field(description="The form section the field belongs to.")
    help: str = Field(description="What the field does, then its trade-off.")
    default_label: str | None = Field(
        description="How a form shows the default when it is not a value but a rule (eval_steps: paced by the run's "
        "length); null: show `default`."
    )
