"""The ``scripts`` of a ``package.json``: each name, its command, and where both are written.

Read with :mod:`json`, never run. A name is found in the text after ``"scripts"`` as its JSON encoding
followed by ``:`` (so the same word as another script's command is not taken for it; a name or command
with escapes Python writes otherwise is not found, and has no position). Two readers share it: the
deployments (a script that runs ``docker compose``) and the image model's ``npm start`` / ``yarn dev``.
"""

from __future__ import annotations

import json

from composelint.records import record


@record(frozen=True, slots=True)
class PackageScript:
    name: str
    command: str
    key: int | None  # offset of the name's opening quote in the text; None when not found
    value: int | None  # offset of the command's opening quote; None when not found


def scripts_of(text: str) -> dict[str, PackageScript]:
    """The scripts whose command is a string, in the file's order; empty when the text is no JSON object."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return {}
    search_from = max(0, text.find('"scripts"'))
    found = {}
    for name, command in scripts.items():
        if not isinstance(command, str):
            continue
        key = _key_at(text, json.dumps(name, ensure_ascii=False), search_from)
        value = text.find(json.dumps(command, ensure_ascii=False), key[1]) if key is not None else -1
        found[name] = PackageScript(name, command, key[0] if key is not None else None,
                                    value if value >= 0 else None)
    return found


def _key_at(text: str, quoted: str, start: int) -> tuple[int, int] | None:
    """Where ``quoted`` first stands as a key from ``start`` on (followed by white space and a colon): its
    offset and the offset after the colon. A search, not a pattern per script name (a compilation each)."""
    while (found := text.find(quoted, start)) >= 0:
        after = found + len(quoted)
        while after < len(text) and text[after].isspace():
            after += 1
        if text.startswith(":", after):
            return found, after + 1
        start = found + 1
    return None
