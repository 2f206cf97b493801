"""Names as words: what comparing names said or typed by people needs."""

import re

_NOT_A_LETTER = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    """The words of a name, case-folded, without punctuation or spaces."""
    return [word for word in _NOT_A_LETTER.split(text.casefold()) if word]
