"""Wording shared by the CL1xx rules and the graph page: what each kind of reference does."""

from __future__ import annotations

VERBS = {
    "depends_on": "depends on",
    "links": "links to",
    "network_mode": "uses the network stack of",
    "volumes_from": "mounts the volumes of",
    "ipc": "shares the IPC namespace of",
    "pid": "shares the PID namespace of",
    "extends": "extends",
    "host": "addresses",
}


def names_list(names: list[str], limit: int = 6) -> str:
    """`a`, `b` and `c` (and 3 more)."""
    quoted = [f"`{name}`" for name in names[:limit]]
    more = len(names) - len(quoted)
    if more > 0:
        return ", ".join(quoted) + f" and {more} more"
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]
