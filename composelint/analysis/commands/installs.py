"""What a command installs: :func:`install_of` reads the one table of package installs (:data:`INSTALLERS`)
that CL201 (:func:`package_install`), CL407 (:func:`python_package_install`) and the Python analysis of RUN
steps share."""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Sequence

from composelint.records import record
from composelint.analysis.commands.syntax import ShWord
from composelint.analysis.commands.start import Invocation, is_python
from composelint.analysis.commands.tables import INSTALLERS, NPM_INSTALL_VERBS, PIP_PROGRAM, PROMPTS, Prompt


def _first_operand(words: Sequence[ShWord], start: int) -> tuple[int, str] | None:
    for index in range(start, len(words)):
        text = words[index].text
        if not text.startswith("-"):
            return index, text
    return None


_PYTHON_VALUE_OPTIONS = frozenset(("-X", "-W", "--check-hash-based-pycs"))


@record(frozen=True, slots=True)
class PackageInstall:
    """A command that installs packages, read from its argv by :func:`install_of`."""

    tool: str  # a key of INSTALLERS: "pip", "uv pip", "uv", "poetry", "conda env", "apt-get", "npm" …
    ecosystem: str  # "python" | "system" | "node" | "ruby" | "php" | "rust"
    verb: str  # the subcommand that installs ("install", "add", "sync" …); "" for the program alone
    verb_index: int  # argv index of that subcommand (of the last program word when there is none)
    program_end: int  # argv index where the tool's own options and operands start (after `python -m pip`)
    isolated: bool = False  # pipx, `uv tool`: applications in their own environments

    def operands(self, argv: Sequence[str]) -> list[str]:
        """The words after the subcommand that are not options (packages, paths; option values skipped)."""
        return [argv[index] for index in self.operand_indices(argv)]

    def operand_indices(self, argv: Sequence[str]) -> list[int]:
        """The argv indices of :meth:`operands`, for callers that point at a word."""
        value_options = INSTALLERS[self.tool].value_options
        found = []
        index = self.verb_index + 1 if self.verb else self.program_end
        while index < len(argv):
            text = argv[index]
            if text == "--":
                found.extend(range(index + 1, len(argv)))
                break
            if text.startswith("-") and len(text) > 1:
                index += 2 if text in value_options else 1
                continue
            found.append(index)
            index += 1
        return found


def _subcommand(argv: Sequence[str], start: int, value_options: frozenset) -> int | None:
    """The index of the first word from ``start`` that is not an option (option values skipped)."""
    index = start
    while index < len(argv):
        text = argv[index]
        if text == "--":
            return index + 1 if index + 1 < len(argv) else None
        if not text.startswith("-") or text == "-":
            return index
        index += 2 if text in value_options else 1
    return None


def subcommand_of(argv: Sequence[str]) -> tuple[str, int] | None:
    """The subcommand of a package manager's argv (``apt-get -q update`` -> ("update", 2)), its options and
    their values skipped; None for a program :data:`INSTALLERS` does not know, or without one."""
    if not argv:
        return None
    installer = INSTALLERS.get(posixpath.basename(argv[0]))
    if installer is None:
        return None
    index = _subcommand(argv, 1, installer.value_options)
    return (argv[index], index) if index is not None else None


def _with_verb(tool: str, argv: Sequence[str], program_end: int) -> PackageInstall | None:
    installer = INSTALLERS[tool]
    if installer.verbs is None:
        return PackageInstall(tool, installer.ecosystem, "", program_end - 1, program_end)
    index = _subcommand(argv, program_end, installer.value_options)
    if index is None:
        return PackageInstall(tool, installer.ecosystem, "", program_end - 1, program_end) if installer.bare \
            else None
    if argv[index] not in installer.verbs:
        return None
    return PackageInstall(tool, installer.ecosystem, argv[index], index, program_end, installer.isolated)


def install_of(argv: Sequence[str]) -> PackageInstall | None:
    """The package install an argv performs (``pip install``, ``python -m pip install``, ``uv sync``,
    ``poetry install``, ``conda env create``, ``apt-get install``, ``npm ci`` …), or None.

    Wrappers (``sudo``, ``env``, ``sh -c``) must already be looked through: ``argv[0]`` is the program.
    """
    return _install_of(tuple(argv))


# A pure function of the words, kept per argv: the image model, the Python analysis and the build rules
# each ask about the same RUN and start commands (awesome-compose: 692 asks for 96 argvs).
@functools.lru_cache(maxsize=4096)
def _install_of(argv: tuple[str, ...]) -> PackageInstall | None:
    if not argv:
        return None
    name = posixpath.basename(argv[0])
    if PIP_PROGRAM.match(name):
        return _with_verb("pip", argv, 1)
    if is_python(name):
        index = 1
        while index < len(argv) and argv[index].startswith("-") and argv[index] != "-m":
            index += 2 if argv[index] in _PYTHON_VALUE_OPTIONS else 1
        if index + 1 >= len(argv):
            return None
        if argv[index] == "-m":
            module = argv[index + 1]
            if module == "pip":
                return _with_verb("pip", argv, index + 2)
            if module == "uv" and index + 2 < len(argv) and argv[index + 2] == "pip":
                return _with_verb("uv pip", argv, index + 3)
            return None
        if posixpath.basename(argv[index]) == "setup.py":
            return _with_verb("setup.py", argv, index + 1)
        return None
    if name in ("uv", "conda", "mamba", "micromamba"):
        installer = INSTALLERS[name]
        index = _subcommand(argv, 1, installer.value_options)
        if index is None:
            return None
        nested = {"uv": {"pip": "uv pip", "tool": "uv tool"}}.get(name, {"env": f"{name} env"}).get(argv[index])
        if nested is not None:
            return _with_verb(nested, argv, index + 1)
        return _with_verb(name, argv, 1)
    if name in INSTALLERS and " " not in name and name != "setup.py":
        return _with_verb(name, argv, 1)
    return None


_PYTHON_SYSTEM_PACKAGE = r"(?:python[23]?|py[23]|pypy3?)-\S"


def package_install(invocation: Invocation) -> bool:
    """Whether the invocation installs packages of any kind (pip, npm, apt-get, apk, poetry, gem …): CL201."""
    if not invocation.words or invocation.role != "main":
        return False
    return install_of(invocation.argv) is not None


def python_package_install(invocation: Invocation) -> bool:
    """Whether the invocation installs Python packages the application can import: a Python installer
    (not pipx or ``uv tool``, whose applications live in their own environments), or a system package
    manager installing Python packages (``apt-get install python3-yaml``). CL407 trusts such a command to
    provide imports; an npm or gem install does not."""
    if not invocation.words or invocation.role != "main":
        return False
    argv = invocation.argv
    found = install_of(argv)
    if found is None:
        return False
    if found.ecosystem == "python":
        return not found.isolated
    return found.ecosystem == "system" and any(re.match(_PYTHON_SYSTEM_PACKAGE, word) for word in found.operands(argv))


def unanswered_prompt(argv: Sequence[str]) -> tuple[str, int] | None:
    """(the tool, the argv index of its subcommand) when ``argv`` runs a package manager subcommand that
    asks for confirmation (:data:`PROMPTS`) and no option answers it: ``apt-get install curl``, not
    ``apt-get install -y curl``, ``apt-get -qq install curl`` or ``zypper -n in curl``.

    Wrappers must already be looked through: ``argv[0]`` is the program."""
    if not argv:
        return None
    tool = posixpath.basename(argv[0])
    prompt = PROMPTS.get(tool)
    if prompt is None:
        return None
    installer = INSTALLERS.get(tool)
    value_options = installer.value_options if installer is not None else INSTALLERS["dnf"].value_options
    value_letters = {option[1] for option in value_options if len(option) == 2 and option[0] == "-"}
    verb = None
    index = 1
    while index < len(argv):
        word = argv[index]
        if word == "--":
            break
        if word.startswith("--"):
            name, equals, value = word.partition("=")
            if word in prompt.flags or name in prompt.flags:
                return None
            if name in value_options:
                if not equals:
                    index += 1
                    value = argv[index] if index < len(argv) else ""
                if _answers(prompt, value):
                    return None
        elif word.startswith("-") and len(word) > 1:
            if word in prompt.flags:
                return None
            letters = word[1:]
            for position, letter in enumerate(letters):
                if letter in value_letters:  # `-oAPT::…`, or `-o` then the value as the next word
                    value = letters[position + 1:]
                    if not value:
                        index += 1
                        value = argv[index] if index < len(argv) else ""
                    if _answers(prompt, value):
                        return None
                    letters = letters[:position]
                    break
            if any(letter in prompt.letters for letter in letters) or (
                    verb is None and any(letter in prompt.global_letters for letter in letters)):
                return None
            if prompt.quiet and word.count(prompt.quiet) >= 2 and set(letters) <= set(prompt.quiet + prompt.letters):
                return None
        elif verb is None:
            if word not in prompt.verbs:
                return None
            verb = index
        index += 1
    return (tool, verb) if verb is not None else None


def _answers(prompt: Prompt, setting: str) -> bool:
    """Whether ``-o NAME=VALUE`` / ``--setopt=NAME=VALUE`` turns the question off."""
    name, equals, value = setting.partition("=")
    return bool(equals) and name.strip().lower() in prompt.settings and value.strip().lower() in (
        "1", "true", "yes", "on")
