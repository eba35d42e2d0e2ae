"""The command tables: shell names (one list for every reader of commands)."""

from __future__ import annotations


SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox-sh"))
