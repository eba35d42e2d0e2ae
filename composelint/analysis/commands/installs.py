"""What a command installs: :func:`install_of` reads the one table of package installs (:data:`INSTALLERS`)
that CL201 (:func:`package_install`), CL407 (:func:`python_package_install`) and the Python analysis of RUN
steps share."""

from __future__ import annotations

import posixpath
import re
from typing import Sequence

from composelint.records import record
from composelint.analysis.commands.syntax import ShWord
from composelint.analysis.commands.start import Invocation, is_python

_NPM_INSTALL = frozenset(("install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal",
                          "isntall", "add", "ci", "clean-install", "install-clean", "isntall-clean", "update", "up",
                          "upgrade", "udpate"))
def _first_operand(words: Sequence[ShWord], start: int) -> tuple[int, str] | None:
    for index in range(start, len(words)):
        text = words[index].text
        if not text.startswith("-"):
            return index, text
    return None


# Options of the Python installers that take the next word as their value (pip, uv, Poetry, PDM …): the
# option parser of analysis/python/installers.py reads them too.
PIP_VALUE_OPTIONS = frozenset((
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "-t", "--target", "--prefix",
    "--root", "--platform", "--python-version", "--implementation", "--abi", "--no-binary", "--only-binary",
    "--progress-bar", "--cache-dir", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action",
    "--cert", "--client-cert", "--src", "--upgrade-strategy", "-C", "--config-settings", "--global-option",
    "--install-option", "--python", "--report", "--root-user-action", "--keyring-provider", "--python-platform",
    "--index-strategy", "--resolution", "--prerelease", "-p", "--extra", "--group", "--only-group", "--no-group",
    "--directory", "--project", "--package", "--link-mode", "--exclude-newer", "--torch-backend", "--index",
    "--default-index", "--config-file", "--use-feature", "--use-deprecated", "-w", "--wheel-dir", "-d", "--dest",
    "-o", "--output-file", "--only", "--with", "--without", "-E", "--extras", "-r", "--requirement",
    "-c", "--constraint", "-e", "--editable", "--overrides", "--build-constraint", "--no-binary-package",
))
SYSTEM_VALUE_OPTIONS = frozenset(("-o", "-t", "--target-release", "-c", "-X", "--repository", "--root"))
_CONDA_VALUE_OPTIONS = frozenset(("-n", "--name", "-p", "--prefix", "-c", "--channel", "-f", "--file"))
_NPM_VALUE_OPTIONS = frozenset(("--prefix", "-C", "--workspace", "-w", "--registry", "--cache", "--userconfig"))


@record(frozen=True, slots=True)
class _Installer:
    ecosystem: str  # "python" | "system" | "node" | "ruby" | "php" | "rust"
    verbs: frozenset | None  # the subcommands that install; None: the program installs whatever follows
    value_options: frozenset = frozenset()
    bare: bool = False  # the program alone (no subcommand) installs too: `yarn`
    isolated: bool = False  # installs applications into their own environments (pipx): nothing to import


def _installer(ecosystem: str, *verbs: str, **more) -> _Installer:
    return _Installer(ecosystem, frozenset(verbs), **more)


# THE table of package installs: program (or "uv pip", "uv tool", "setup.py") -> how it installs. CL201
# (`package_install`), CL407 (`python_package_install`) and the Python analysis of RUN steps
# (analysis/python/installers.py) all read it through `install_of`.
INSTALLERS: dict[str, _Installer] = {
    "pip": _installer("python", "install", value_options=PIP_VALUE_OPTIONS),
    "uv pip": _installer("python", "install", "sync", value_options=PIP_VALUE_OPTIONS),
    "uv": _installer("python", "sync", "add", value_options=PIP_VALUE_OPTIONS),
    "uv tool": _installer("python", "install", value_options=PIP_VALUE_OPTIONS, isolated=True),
    "poetry": _installer("python", "install", "add", "update", "sync", value_options=PIP_VALUE_OPTIONS),
    "pipenv": _installer("python", "install", "sync", "update", value_options=PIP_VALUE_OPTIONS),
    "pdm": _installer("python", "install", "sync", "add", "update", value_options=PIP_VALUE_OPTIONS),
    "conda": _installer("python", "install", "create", "update", value_options=_CONDA_VALUE_OPTIONS),
    "conda env": _installer("python", "create", "update", value_options=_CONDA_VALUE_OPTIONS),
    "pipx": _installer("python", "install", value_options=PIP_VALUE_OPTIONS, isolated=True),
    "easy_install": _Installer("python", None),
    "pip-sync": _Installer("python", None),
    "setup.py": _installer("python", "install", "develop"),
    "apt-get": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "apt": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "aptitude": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "apk": _installer("system", "add", value_options=SYSTEM_VALUE_OPTIONS),
    "yum": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "dnf": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "microdnf": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "tdnf": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "zypper": _installer("system", "install", "in", value_options=SYSTEM_VALUE_OPTIONS),
    "npm": _Installer("node", _NPM_INSTALL, _NPM_VALUE_OPTIONS),
    "yarn": _installer("node", "install", "add", "upgrade", bare=True),
    "pnpm": _installer("node", "install", "i", "add", "update", "up", value_options=_NPM_VALUE_OPTIONS),
    "bun": _installer("node", "install", "i", "add"),
    "gem": _installer("ruby", "install"),
    "bundle": _installer("ruby", "install", "update", bare=True),  # `bundle` alone runs `bundle install`
    "composer": _installer("php", "install", "require", "update"),
    "cargo": _installer("rust", "install"),
}
for _alias in ("mamba", "micromamba"):  # conda's drop-in replacements
    INSTALLERS[_alias] = INSTALLERS["conda"]
    INSTALLERS[f"{_alias} env"] = INSTALLERS["conda env"]
_PIP_PROGRAM_RE = re.compile(r"pip(?:\d+(?:\.\d+)?)?\Z")
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
        value_options = INSTALLERS[self.tool].value_options
        found = []
        index = self.verb_index + 1 if self.verb else self.program_end
        while index < len(argv):
            text = argv[index]
            if text == "--":
                found.extend(argv[index + 1:])
                break
            if text.startswith("-") and len(text) > 1:
                index += 2 if text in value_options else 1
                continue
            found.append(text)
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
    if not argv:
        return None
    name = posixpath.basename(argv[0])
    if _PIP_PROGRAM_RE.match(name):
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


_PYTHON_SYSTEM_PACKAGE = re.compile(r"(?:python[23]?|py[23]|pypy3?)-\S")


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
    return found.ecosystem == "system" and any(_PYTHON_SYSTEM_PACKAGE.match(word) for word in found.operands(argv))
