from domain.text import json_error, plural


def test_plural() -> None:
    assert [plural(n, "row") for n in (0, 1, 2)] == ["0 rows", "1 row", "2 rows"]
    assert plural(1, "usable example") == "1 usable example"
    assert plural(3, "entry", "entries") == "3 entries"


def test_json_error_never_says_at_twice() -> None:
    assert json_error("Unterminated string starting at", 29) == "Unterminated string starting at column 29"
    assert json_error("Expecting ',' delimiter", 5) == "Expecting ',' delimiter at column 5"
