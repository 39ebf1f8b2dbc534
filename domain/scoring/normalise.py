"""The normalisation answers are compared under: exact match, token F1, ROUGE-L and the classification labels.

Language-neutral on purpose: no English article removal (SQuAD's "a", "an", "the"), which would mangle other
languages' words, and words cut on Unicode categories rather than ASCII classes.
"""

import unicodedata


def _folded(text: str) -> str:
    # NFKC first: full-width letters, ligatures and compatibility digits become their plain forms; casefold()
    # then also folds what lower() leaves (German ß, Greek final sigma).
    return unicodedata.normalize("NFKC", text).casefold()


def _is_edge(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def normalise(text: str) -> str:
    """Case-folded NFKC with whitespace collapsed and surrounding punctuation stripped: ' «Paris.» ' == 'paris'.

    Punctuation inside the answer stays ('u.s' keeps its dot), and so do symbols ('$5' is not '5'). Punctuation
    is Unicode's: '%' is punctuation there, so '5%' is '5'."""
    folded = " ".join(_folded(text).split())
    start, end = 0, len(folded)
    while start < end and _is_edge(folded[start]):
        start += 1
    while end > start and _is_edge(folded[end - 1]):
        end -= 1
    return folded[start:end]


def _is_word_char(char: str) -> bool:
    # Combining marks belong to their word: Devanagari vowel signs and viramas are marks, not letters, and a
    # plain \w would cut "नमस्ते" into pieces.
    return char.isalnum() or unicodedata.category(char).startswith("M")


def words(text: str) -> list[str]:
    """Case-folded NFKC words: runs of letters, digits and combining marks; everything else separates them.

    Scripts written without spaces (Chinese, Japanese, Thai) come out as one word per run of text."""
    return "".join(c if _is_word_char(c) else " " for c in _folded(text)).split()
