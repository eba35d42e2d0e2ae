"""``LazyPattern``: a regular expression compiled when a run first uses it.

Compiling costs 50–300 µs a pattern (``re`` builds its code in Python), paid at import. A pattern that
only some repositories need (Makefile assignments, bake files, YAML sniffed by content…) is written
``LazyPattern(...)`` instead of ``re.compile(...)``: a run that never uses it never compiles it, and
after the first use its methods are found as fast as a compiled pattern's.
"""

from __future__ import annotations

import re


class LazyPattern:
    """Stands for ``re.compile(pattern, flags)``."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str):
        # Only for an attribute not yet kept: the compiled pattern's (re caches the compilation), kept on
        # the instance so that the next lookup of it is a plain one.
        if name.startswith("__") or name == "_source":
            raise AttributeError(name)  # copy and pickle probe dunders on an instance not yet initialised
        value = getattr(re.compile(*self._source), name)
        setattr(self, name, value)
        return value
