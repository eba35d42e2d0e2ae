"""Numbers written in the files: ports, stage indexes, restart counts, version tags."""

from __future__ import annotations


def decimal_value(text: str) -> int | None:
    """``text`` as a non-negative decimal integer; None when it is not one.

    ``str.isdigit()`` is not enough before ``int()``: it accepts ``²`` and ``¹`` (digits to Unicode,
    not to ``int``), and ``int()`` refuses a string of over 4,300 digits. Both are in reach of a
    hostile file (``ports: ["²:80"]``, ``FROM python:1111…``), and either used to end a rule with an
    internal error.
    """
    if not text.isdigit():
        return None
    try:
        return int(text)
    except ValueError:
        return None
