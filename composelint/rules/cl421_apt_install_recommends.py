"""`apt-get install` without `--no-install-recommends` in a shipped stage."""

from __future__ import annotations

import posixpath
import re

from composelint.analysis.commands.installs import install_of
from composelint.analysis.commands.tables import NO_RECOMMENDS, RECOMMENDS_SETTING
from composelint.analysis.layers import shipped_runs
from composelint.assembly.linking import stage_chain
from composelint.rules._rule import Violation, rule

_OFF = "(?i)" + re.escape(RECOMMENDS_SETTING) + r"""\s*=?\s*["']?(?:false|0|no)\b"""


def _turned_off(command) -> bool:
    """`-o APT::Install-Recommends=false` (or `-oAPT::…`, `--option …`) on the command itself."""
    return any(re.search(_OFF, word) for word in command.argv[1:])


def _configured_off(dockerfile, stage, instruction) -> bool:
    """An earlier RUN of the stage (or of a stage it is built FROM) writes `APT::Install-Recommends "false"`
    into an apt configuration file: every later install honours it."""
    for owner in stage_chain(dockerfile, stage):
        for earlier in owner.instructions:
            if earlier is instruction:
                break
            if earlier.keyword == "RUN" and "/etc/apt/" in earlier.text and re.search(_OFF, earlier.text):
                return True
    return False


@rule(code="CL421", name="apt-install-recommends", severity="info",
      summary="`apt-get install` in RUN without `--no-install-recommends`",
      equivalents=("hadolint:DL3015",))
def check(project, options):
    for dockerfile, stage, instruction, commands, _ in shipped_runs(project):
        for command in commands:
            found = install_of(command.argv)
            if found is None or found.tool not in NO_RECOMMENDS or found.verb != "install":
                continue
            if not found.operands(command.argv):
                continue  # `apt-get install -f`: repairs, installs nothing named
            if any(word in NO_RECOMMENDS[found.tool] for word in command.argv) or _turned_off(command):
                continue
            if _configured_off(dockerfile, stage, instruction):
                continue
            program = f"{posixpath.basename(command.argv[0])} install"
            flag = sorted(NO_RECOMMENDS[found.tool])[0]
            yield Violation(
                command.span(0, found.verb_index),
                f"`{program}` also installs every package the named ones recommend: often more than they "
                "need (documentation, X11 libraries, compilers), which makes the image larger and gives it "
                "more to patch",
                help=f"add `{flag}` (and install what the application really needs by name), or set "
                     f"`{RECOMMENDS_SETTING} \"false\";` in `/etc/apt/apt.conf.d/` in an earlier step",
                anchor_text=instruction.first_line)
