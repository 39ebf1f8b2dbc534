"""Wording shared by every message the API and the workers build: counts with their nouns, JSON errors."""


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 row', '2 rows', '0 rows'; `plural_form` for irregular nouns ('1 entry', '3 entries')."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def json_error(message: str, column: int) -> str:
    """A JSON decoder's message with its column: "Expecting ',' delimiter at column 29".

    Some of Python's messages already end in "at" ("Unterminated string starting at"), which would read
    "at at column 29"."""
    return f"{message.removesuffix(' at')} at column {column}"


def ordinal(number: int) -> str:
    """'1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st'."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
