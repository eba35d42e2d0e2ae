"""``closest_name``: the one "did you mean" of composelint (service, host, resource, rule, key, instruction
and file names alike)."""

from __future__ import annotations

from typing import Iterable


def closest_name(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate a misspelt ``name`` most likely meant, or None.

    A candidate that differs only in case wins (``Image`` -> ``image``); then the closest by difflib's
    ratio, ignoring case (``CPOY`` -> ``COPY``, ``redis-cahce`` -> ``redis-cache``); then one that
    extends the name, or that it extends, by a ``-``/``_`` part (``redis-cache`` -> ``redis``).
    """
    pool = sorted(set(candidates) - {name})
    if not pool or not name:
        return None
    target = name.lower()
    lowered = {candidate.lower(): candidate for candidate in pool}
    if target in lowered:
        return lowered[target]
    import difflib  # only when there is something to suggest

    match = difflib.get_close_matches(target, list(lowered), n=1, cutoff=cutoff)
    if match:
        return lowered[match[0]]
    for candidate in pool:
        low = candidate.lower()
        if target.startswith((low + "-", low + "_")) or low.startswith((target + "-", target + "_")):
            return candidate
    return None
