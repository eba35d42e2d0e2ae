"""The shell commands of a Markdown file's fenced code blocks: the setup a README documents.
"""

from __future__ import annotations

import re

from composelint.assembly.deployments.requests import mentions_deployment
from composelint.assembly.deployments.units import Unit
from composelint.lazyre import LazyPattern
from composelint.relpaths import dirname, parents


_FENCE = re.compile(r"^([ \t]{0,12})(`{3,}|~{3,})[ \t]*([^\s`{]*)[^`]*$")  # no backtick after a ``` fence


_SHELL_LANGUAGES = frozenset(("sh", "bash", "shell", "zsh", "console", "shell-session", "shellsession",
                              "terminal", "bash-session"))


_PROMPT = LazyPattern(r"^(?:\$|[\w.@-]+(?::[^\s$]*)?\$|❯)\s")  # `$ `, `user@host:~/src$ `, `❯ `


def is_document_path(relpath: str, compose_dirs: frozenset | set) -> bool:
    """Markdown that may show how the repository is deployed: any README, the docs/ (doc/) tree,
    and Markdown beside a compose file."""
    name = relpath.rsplit("/", 1)[-1]
    lowered = name.lower()
    if not lowered.endswith((".md", ".markdown")) and lowered != "readme":
        return False
    if lowered.startswith("readme"):
        return True
    parts = relpath.split("/")[:-1]
    return any(part in ("docs", "doc") for part in parts) or dirname(relpath) in compose_dirs


def document_units(path: str, text: str, wanted=None) -> list[Unit]:
    """The shell commands of a Markdown file's fenced code blocks, each line where it is written.

    ```sh / ```bash / ```shell blocks are scripts (a leading `$ ` prompt is dropped); ```console
    blocks with prompts, and any block whose lines carry prompts, are sessions: only the prompted
    lines are commands, the rest is output. An unlabelled block counts only for its lines that
    ``wanted`` keeps, and its `cd` lines. The blocks run one after the other, as a reader types them
    (a `cd` stays), from the document's directory, else one above (a docs/ page names files from the
    repository root).

    ``wanted(text)`` keeps a document, and a line of an unlabelled block; by default those that may
    run a deployment (``mentions_deployment``), which is all the planner reads."""
    wanted = wanted or mentions_deployment
    if not wanted(text):
        return []
    directory = dirname(path)
    fallback = tuple(d for d in parents(directory) if d != directory)
    chosen: list[tuple[str, int, int]] = []  # (command text, line, column)
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, language = opening.group(1), opening.group(2), opening.group(3).lower()
        body_start = index + 1
        index += 1
        while index < len(lines) and not (lines[index].strip().startswith(fence[0] * len(fence))
                                          and lines[index].strip().strip(fence[0]) == ""):
            index += 1
        body = lines[body_start:index]
        index += 1
        if language and language not in _SHELL_LANGUAGES:
            continue
        # A session when its lines carry prompts: the others are output (a ```console block
        # without any prompt is a list of commands, as authors often write it)
        session = any(_PROMPT.match(line[len(indent):] if line.startswith(indent) else line.lstrip())
                      for line in body)
        continuing = False
        for offset, raw in enumerate(body):
            line = raw[len(indent):] if raw.startswith(indent) else raw.lstrip()
            column = len(raw) - len(line) + 1
            if continuing:
                chosen.append((line, body_start + offset + 1, column))
            else:
                prompt = _PROMPT.match(line)
                if prompt is not None:
                    line, column = line[prompt.end():], column + prompt.end()
                elif session:
                    continue  # output of the command above
                stripped = line.lstrip()
                if not language and not (stripped.startswith("cd ") or wanted(stripped)):
                    continue
                chosen.append((line, body_start + offset + 1, column))
            continuing = line.rstrip().endswith("\\")
    if not chosen:
        return []
    pieces, offset, joined = [], 0, []
    for command, number, column in chosen:
        pieces.append((offset, number, column))
        joined.append(command)
        offset += len(command) + 1
    return [Unit("\n".join(joined), pieces, directory, fallback_dirs=fallback, own_dir=directory)]
