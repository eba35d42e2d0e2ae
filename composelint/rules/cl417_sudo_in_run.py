"""`sudo` in a RUN step."""

from __future__ import annotations

import posixpath

from composelint.analysis.commands.tables import ELEVATING
from composelint.analysis.layers import run_steps
from composelint.rules._rule import Violation, rule


@rule(code="CL417", name="sudo-in-run", severity="warning",
      summary="`sudo` (or `doas`) runs a command of a RUN step",
      equivalents=("hadolint:DL3004",))
def check(project, options):
    for _, _, instruction, commands, _ in run_steps(project):
        seen = set()
        for command in commands:
            words = [word for word in command.wrappers if posixpath.basename(word.text) in ELEVATING]
            if command.words and posixpath.basename(command.words[0].text) in ELEVATING:
                words.append(command.words[0])  # the exec form, or `sudo` with nothing to run
            for word in words:
                if (word.start, word.stop, id(word.where)) in seen:
                    continue  # one `sudo sh -c "a; b"` wraps two commands
                seen.add((word.start, word.stop, id(word.where)))
                name = posixpath.basename(word.text)
                yield Violation(
                    word.span or command.span(),
                    f"`{name}` in a RUN step: the build runs as root unless a `USER` changed it, so `{name}` is "
                    f"either useless (and fails where it is not installed) or works only because the image lets "
                    f"that user become root without a password, which any process in the container can then do",
                    help=f"remove `{name}`; to run a step as root after `USER app`, switch with `USER root` "
                         "before it and back with `USER app` after it",
                    anchor_text=instruction.first_line)
