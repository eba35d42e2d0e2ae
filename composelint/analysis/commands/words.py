"""Split a string into words as a POSIX shell would, remembering offsets.

Compose splits a string ``command:``/``entrypoint:`` this way (no variable
expansion, no globbing), and start-command analysis needs every word's
position to point at the exact column.
"""

from __future__ import annotations

from composelint.records import record



@record(frozen=True, slots=True)
class Word:
    text: str  # after quote removal
    start: int  # offset of the word's first character in the input
    end: int  # exclusive


class UnterminatedQuote(ValueError):
    pass


def split_words(text: str) -> list[Word]:
    """Split ``text`` into words; quotes and backslashes as in POSIX sh.

    Raises UnterminatedQuote when a quote is not closed (Compose refuses such a command).
    """
    words: list[Word] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\n\r":
            i += 1
        if i >= n:
            break
        start = i
        chars: list[str] = []
        while i < n and text[i] not in " \t\n\r":
            char = text[i]
            if char == "\\":
                if i + 1 < n:
                    if text[i + 1] != "\n":
                        chars.append(text[i + 1])
                    i += 2
                else:
                    i += 1
            elif char == "'":
                close = text.find("'", i + 1)
                if close < 0:
                    raise UnterminatedQuote(f"unterminated single quote at offset {i}")
                chars.append(text[i + 1:close])
                i = close + 1
            elif char == '"':
                i += 1
                while True:
                    if i >= n:
                        raise UnterminatedQuote(f"unterminated double quote at offset {start}")
                    char = text[i]
                    if char == '"':
                        i += 1
                        break
                    if char == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                        if text[i + 1] != "\n":
                            chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(char)
                    i += 1
            else:
                chars.append(char)
                i += 1
        words.append(Word("".join(chars), start, i))
    return words
