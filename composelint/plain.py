"""Findings as plain values (strings, numbers, lists, tuples) that ``marshal`` can carry.

Used where findings leave the process that made them: the result cache on disk
(``composelint/cache.py``) and the rules run in a forked process (``composelint/forked.py``).
A finding is stored as its class name and fields and rebuilt by calling the constructor of a
fixed set of classes, so unlike a pickle the data cannot name code to run.
"""

from __future__ import annotations

import dataclasses
import enum

from composelint.diagnostics import Diagnostic, Edit, Fix, Position, Related, ServiceRef, Severity, Span

_CLASSES = {cls.__name__: cls for cls in (Diagnostic, Related, ServiceRef, Span, Position, Severity, Fix, Edit)}
_FIELDS = {cls: tuple(item.name for item in dataclasses.fields(cls))
           for cls in _CLASSES.values() if dataclasses.is_dataclass(cls)}


def encode(value: object) -> object:
    """A finding as plain values: ``[class name, field...]`` for the known classes."""
    kind = type(value)
    fields = _FIELDS.get(kind)
    if fields is not None:
        return [kind.__name__, *[encode(getattr(value, name)) for name in fields]]
    if isinstance(value, enum.Enum):
        if _CLASSES.get(kind.__name__) is not kind:
            raise TypeError(f"cannot store {kind.__name__}")
        return [kind.__name__, value.value]
    if kind is tuple:
        return tuple(encode(item) for item in value)
    if value is None or kind in (str, int, float, bool):
        return value
    raise TypeError(f"cannot store {kind.__name__}")


_NESTED = (list, tuple)


def decode(value: object) -> object:
    # Leaves (most fields: strings, numbers, None) are taken as they are, without a call each: a
    # cached re-run decodes every finding of the previous run.
    if type(value) is list:
        cls = _CLASSES[value[0]]
        return cls(*[decode(item) if type(item) in _NESTED else item for item in value[1:]])
    if type(value) is tuple:
        return tuple([decode(item) if type(item) in _NESTED else item for item in value])
    return value
