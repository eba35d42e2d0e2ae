"""Packages that RUN steps install without a version: the facts behind CL426-CL429.

Every install command of every stage (shell and exec forms, heredoc bodies, ``sh -c`` scripts, wrappers
looked through: :func:`stage_run_commands`) whose program and subcommand a :class:`PinSyntax` of
analysis/commands/tables.py reads. Pip's and the system managers' operands come from the Python
analysis' reading of the command (:func:`stage_installs`); the node installers' from
:meth:`PackageInstall.operand_indices`. Words are read after the Dockerfile's ARG/ENV values are
substituted: a variable with a default is split as the shell splits it (``ARG PKGS="curl=7.88.* git"``
then ``apk add $PKGS``) and its packages are judged; a word composelint cannot resolve (a variable set in
the RUN itself, ``$(…)``) is never reported.
"""

from __future__ import annotations

from composelint.analysis.commands.installs import install_of
from composelint.analysis.commands.tables import APT_PINS, APK_PINS, NPM_PINS, PIP_PINS, PinSyntax
from composelint.analysis.python_deps import ShellWord, stage_environments_of, stage_installs, stage_run_commands
from composelint.analysis.python.requirements import URL_RE, parse_requirement
from composelint.diagnostics import Span
from composelint.model import Dockerfile, Instruction, Project
from composelint.records import record

_PATH_PREFIXES = ("/", "./", "../", "~/", "file:")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:")


@record(frozen=True, slots=True)
class Unpinned:
    """A package operand of an install that names no version."""

    package: str  # as the installer reads it (variables substituted)
    span: Span  # where it is written: the word, or the `$VARIABLE` it came from
    install: str  # the tool and its subcommand: "apt-get install", "pip install", "npm i"
    variable: str | None  # the word as written when the package came from a variable (`$PKGS`)
    instruction: Instruction


def _vcs_pinned(text: str, separator: str) -> bool:
    """A repository reference pins a commit, tag or branch after ``separator`` in its path (the `@` of
    `git+ssh://git@host/…` names a user, not a version)."""
    _, _, rest = text.partition("://")
    path = rest.split("/", 1)[1] if "/" in rest else text.split(":", 1)[-1]
    return separator in path


def _pinned(syntax: PinSyntax, text: str) -> bool:
    """Whether the operand ``text`` names a version, is a file or a path, or is not a package at all."""
    if not text or text.endswith(syntax.files) or text.startswith(_PATH_PREFIXES) or text in (".", ".."):
        return True
    if syntax is PIP_PINS:
        if text.lower().startswith(_VCS_PREFIXES):
            return _vcs_pinned(text, "@")
        if URL_RE.match(text) or "/" in text:
            return True  # an archive's URL, or a local directory
        if any(mark in text for mark in syntax.marks):
            return True
        return parse_requirement(text) is None  # not a requirement: nothing to pin
    if syntax is NPM_PINS:
        if text.lower().startswith(_VCS_PREFIXES) or (("/" in text or "#" in text) and not text.startswith("@")):
            return "#" in text  # a git URL or `user/repo` shorthand pins a commit or tag after `#`
        if URL_RE.match(text):
            return True  # a tarball's URL
        name, at, version = text[1:].partition("@") if text.startswith("@") else text.partition("@")
        return bool(at) and version not in ("", "latest")  # `latest` is what no version means
    if syntax is APK_PINS and ":" in text and not any(mark in text for mark in syntax.marks):
        return True  # a provider (`so:libssl.so.3`, `cmd:bash`): no version of its own
    if syntax is APT_PINS and text.endswith("-") and len(text) > 1:
        return True  # `pkg-` removes the package (`g++` is a name: apt tries the word as written first)
    return any(mark in text for mark in syntax.marks)


def _split(word: ShellWord) -> tuple[list[str], str | None]:
    """The packages a word gives the installer: an unquoted variable splits at blanks."""
    if "$" not in word.raw:
        return [word.text], None
    return (word.text.split() if not word.raw.startswith(("'", '"')) else [word.text]), word.raw


def _operands(command, parsed, syntax: PinSyntax, env) -> tuple[str, list[ShellWord]] | None:
    """The install's tool and subcommand, and its package operands; None when every operand is pinned by
    the command as a whole (a constraints file) or it is no install ``syntax`` reads."""
    found = install_of(command.argv)
    if found is None or found.tool not in syntax.tools or found.verb not in syntax.verbs:
        return None
    install = f"{found.tool} {found.verb}"
    if syntax is NPM_PINS:
        return install, [command.words[index] for index in found.operand_indices(command.argv)]
    if parsed is None:
        return None
    if parsed.has(*syntax.pinning_options) or any(
            variable in env or variable in command.assignments for variable in syntax.pinning_variables):
        return None
    return install, list(parsed.positionals)


def unpinned_packages(project: Project, dockerfile: Dockerfile, syntax: PinSyntax) -> tuple[Unpinned, ...]:
    """The package operands without a version that ``syntax``'s installs get in ``dockerfile`` (every stage:
    a builder's packages shape what it builds), in file order."""
    def compute(project):
        found = []
        environments = stage_environments_of(project, dockerfile)
        for stage in dockerfile.stages:
            env = environments[stage.index]
            for commands, installs in zip(stage_run_commands(project, dockerfile, stage),
                                          stage_installs(project, dockerfile, stage)):
                for command, parsed in zip(commands, installs):
                    operands = _operands(command, parsed, syntax, env)
                    if operands is None:
                        continue
                    install, words = operands
                    for word in words:
                        if word.dynamic:
                            continue  # a value only the build knows
                        packages, variable = _split(word)
                        for package in packages:
                            if not _pinned(syntax, package):
                                span = word.span or command.instruction.keyword_span
                                found.append(Unpinned(package, span, install, variable, command.instruction))
        return tuple(found)

    return project.derived(f"pins.unpinned:{syntax.database}:{dockerfile.path}", compute)


def project_unpinned(project: Project, syntax: PinSyntax):
    """:func:`unpinned_packages` of every Dockerfile of the project."""
    for dockerfile in project.dockerfiles.values():
        yield from unpinned_packages(project, dockerfile, syntax)


def named(found: Unpinned) -> str:
    """How a message names the package: `curl`, or `curl` (from `$PKGS`)."""
    return f"`{found.package}`" + (f" (from `{found.variable}`)" if found.variable else "")
