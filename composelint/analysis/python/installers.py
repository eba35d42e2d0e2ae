"""Package installs in RUN steps: which commands install, and what each one installs.

:func:`install_command` reads the Python installs (pip, ``python -m pip``, uv, Poetry, Pipenv, PDM, conda,
pipx, ``setup.py install``) and the system package managers' (apt, apk, dnf …) of a :class:`ShellCommand`;
which commands install at all is decided by :func:`composelint.analysis.commands.installs.install_of` (one table, shared
with the start-command rules: CL201, and :func:`runtime_install` for CL407). :func:`read_install` reads the
requirements one of them installs, following the files it names through the stage's filesystem. Also:
commands that run scripts or generate code composelint cannot read, and the manifest-first installs of
every ecosystem (CL405).
"""

from __future__ import annotations

import posixpath
from typing import Mapping

from composelint.analysis.python.builds import image_path
from composelint.analysis.python.commands import ShellCommand, ShellWord, stage_run_commands
from composelint.analysis.python.requirements import (URL_RE, Collected, Requirement, Unresolved, file_name_requirement,
                                                      local_spec, normalize, parse_requirement, read_local_project,
                                                      read_requirements_file)
from composelint.analysis.python.stagefiles import Entry, StageFiles
from composelint.analysis.python.tables import system_python_package
from composelint.analysis.commands.tables import INSTALLERS, PIP_VALUE_OPTIONS, SHELLS
from composelint.analysis.commands.start import is_python, start_analysis
from composelint.analysis.commands.installs import install_of, python_package_install
from composelint.diagnostics import Span
from composelint.model import Service
from composelint.records import record


@record(frozen=True, slots=True)
class InstallCommand:
    """A package-install command found in a RUN instruction."""

    # "pip" | "uv pip" | "uv sync" | "uv add" | "poetry" | "pipenv" | "pdm" | "conda" | "system" (apt, apk …)
    # | "tool" (pipx, uv tool) | "setup.py" | "easy_install"
    tool: str
    command: ShellCommand
    subcommand: str  # "install", "sync" …
    options: Mapping[str, tuple[ShellWord, ...]]  # option name -> values (flags: empty tuple)
    positionals: tuple[ShellWord, ...]
    program_words: int  # index of the word that says "install" (pip install: 1, python -m pip install: 3)

    def has(self, *names: str) -> bool:
        return any(name in self.options for name in names)

    def values(self, *names: str) -> tuple[ShellWord, ...]:
        found: list[ShellWord] = []
        for name in names:
            found.extend(self.options.get(name, ()))
        return tuple(found)

    @property
    def dynamic(self) -> bool:
        return any(word.dynamic for word in self.command.words)

    def span(self) -> Span:
        """The program and subcommand (``pip install``, ``python -m pip install``, ``pip -q install``)."""
        return self.command.span(0, self.program_words)


def _parse_options(words: tuple[ShellWord, ...], value_options: frozenset) -> tuple[dict, list[ShellWord]]:
    options: dict[str, list[ShellWord]] = {}
    positionals: list[ShellWord] = []
    position = 0
    while position < len(words):
        word = words[position]
        text = word.text
        if text == "--":
            positionals.extend(words[position + 1:])
            break
        if text.startswith("--") and "=" in text:
            name, _, value = text.partition("=")
            options.setdefault(name, []).append(word.with_text(value))
        elif text.startswith("--"):
            if text in value_options and position + 1 < len(words):
                options.setdefault(text, []).append(words[position + 1])
                position += 1
            else:
                options.setdefault(text, [])
        elif text.startswith("-") and len(text) > 1:
            name = text[:2]
            if name in value_options:
                if len(text) > 2:
                    options.setdefault(name, []).append(word.with_text(text[2:]))
                elif position + 1 < len(words):
                    options.setdefault(name, []).append(words[position + 1])
                    position += 1
            else:
                for letter in text[1:]:
                    options.setdefault("-" + letter, [])
        else:
            positionals.append(word)
        position += 1
    return {k: tuple(v) for k, v in options.items()}, positionals


# analysis.commands.installs.INSTALLERS' tools -> this module's names for them
_TOOLS = {"pip": "pip", "uv pip": "uv pip", "poetry": "poetry", "pipenv": "pipenv", "pdm": "pdm", "pipx": "tool",
          "uv tool": "tool", "easy_install": "easy_install", "pip-sync": "pip", "setup.py": "setup.py"}


def install_command(command: ShellCommand) -> InstallCommand | None:
    """The Python or system package install ``command`` performs, if it is one (pip, uv, poetry, pipenv, pdm,
    conda, pipx, apt …); which commands install is decided by :func:`composelint.analysis.commands.installs.install_of`."""
    words = command.words
    found = install_of(command.argv)
    if found is None or found.ecosystem not in ("python", "system"):
        return None
    tool = found.tool
    verb = found.verb_index
    if tool == "setup.py":
        return InstallCommand("setup.py", command, found.verb, {}, (words[found.program_end - 1],), verb)
    if tool.split(" ")[0] in ("conda", "mamba", "micromamba"):
        return InstallCommand("conda", command, "install", {}, (), verb)
    if tool == "uv":
        tool = f"uv {found.verb}"
    elif found.ecosystem == "system":
        tool = "system"
    else:
        tool = _TOOLS[tool]
    value_options = INSTALLERS[found.tool].value_options or PIP_VALUE_OPTIONS
    rest = words[found.program_end:verb] + words[verb + 1:] if found.verb else words[found.program_end:]
    options, positionals = _parse_options(rest, value_options)
    if found.tool == "pip-sync":
        files = tuple(positionals) or (ShellWord("requirements.txt", "requirements.txt", 0),)
        return InstallCommand("pip", command, "install", {**options, "-r": files}, (), verb)
    return InstallCommand(tool, command, found.verb or "install", options, tuple(positionals), verb)


def stage_installs(project, dockerfile, stage) -> tuple[tuple[InstallCommand | None, ...], ...]:
    """:func:`install_command` of each command of :func:`stage_run_commands` (same shape: per instruction,
    per command), read once per project for the Python analysis, CL402 and CL405."""
    def compute(project):
        return tuple(tuple(install_command(command) for command in commands)
                     for commands in stage_run_commands(project, dockerfile, stage))

    return project.derived(f"python_deps.stage_installs:{dockerfile.path}:{stage.index}", compute)


_SCRIPT_RUNNERS = frozenset(("make", "gmake", "just", "task", "invoke", "ansible-playbook", "nox", "tox"))
_CODE_WRITERS = frozenset(("protoc", "curl", "wget", "git", "tar", "unzip", "cp", "mv", "ln", "rsync", "svn",
                           "hg", "cythonize", "datamodel-codegen", "openapi-generator", "openapi-generator-cli",
                           "swagger-codegen", "buf", "flatc", "thrift"))


def runs_script(command: ShellCommand) -> bool:
    """A RUN command that executes a script or a build tool whose content composelint does not read."""
    argv = command.argv
    if not argv:
        return False
    program = argv[0]
    name = posixpath.basename(program)
    if program.startswith(("./", "/tmp/", "../")) or name.endswith((".sh", ".bash")) or name in _SCRIPT_RUNNERS:
        return True
    if name in SHELLS and len(argv) > 1 and not argv[1].startswith("-"):
        return True  # sh install.sh
    return name in ("source", ".") and len(argv) > 1 and argv[1].endswith(".sh")


def generates_code(command: ShellCommand) -> bool:
    """A RUN command that may write Python modules into the image (generated, downloaded or moved)."""
    argv = command.argv
    if not argv:
        return False
    name = posixpath.basename(argv[0])
    if name in _CODE_WRITERS or runs_script(command):
        return True
    if is_python(name) and ("grpc_tools.protoc" in argv or any(a.endswith(".py") for a in argv[1:2])):
        return True
    return False


# ecosystem -> (manifests to copy first, the install to run before copying the rest)
MANIFEST_FIRST = {
    "pip": ("requirements.txt", "pip install --no-cache-dir -r requirements.txt"),
    "python-project": ("pyproject.toml", "pip install --no-cache-dir <the dependencies>"),
    "poetry": ("pyproject.toml poetry.lock", "poetry install --no-root"),
    "uv": ("pyproject.toml uv.lock", "uv sync --locked --no-install-project"),
    "pipenv": ("Pipfile Pipfile.lock", "pipenv install --deploy --system"),
    "pdm": ("pyproject.toml pdm.lock", "pdm install --prod --no-self"),
    "npm": ("package.json package-lock.json", "npm ci"),
    "yarn": ("package.json yarn.lock", "yarn install --frozen-lockfile"),
    "pnpm": ("package.json pnpm-lock.yaml", "pnpm install --frozen-lockfile"),
    "go": ("go.mod go.sum", "go mod download"),
    "bundler": ("Gemfile Gemfile.lock", "bundle install"),
    "composer": ("composer.json composer.lock", "composer install --no-scripts --no-autoloader"),
    "dotnet": ("*.csproj", "dotnet restore"),
}


def manifest_install(command: ShellCommand, install: InstallCommand | None) -> tuple[str, str] | None:
    """(ecosystem, manifest) of a command that installs the dependencies a manifest lists (CL405);
    ``install`` is the command's :func:`install_command` (see :func:`stage_installs`)."""
    if install is not None:
        if install.tool in ("pip", "uv pip"):
            files = install.values("-r", "--requirement")
            if files:
                return "pip", files[0].text
            specs = install.positionals + install.values("-e", "--editable")
            if not install.has("--no-deps") and any(word.text.startswith((".", "/")) for word in specs):
                return "python-project", "pyproject.toml"
            return None
        if install.tool in ("poetry", "pdm", "pipenv") and install.subcommand in ("install", "sync") \
                and not install.positionals:
            return install.tool, MANIFEST_FIRST[install.tool][0].split()[0]
        if install.tool == "uv sync":
            return "uv", "pyproject.toml"
        return None
    argv = command.argv
    found = install_of(argv)
    if found is not None:
        bare = not found.operands(argv)
        if found.tool == "npm" and found.verb in ("install", "i", "ci") and bare and "-g" not in argv \
                and "--global" not in argv:
            return "npm", "package.json"
        if found.tool == "yarn" and found.verb in ("", "install"):
            return "yarn", "package.json"
        if found.tool == "pnpm" and found.verb in ("install", "i") and bare:
            return "pnpm", "package.json"
        if found.tool == "bundle" and found.verb in ("", "install"):
            return "bundler", "Gemfile"
        if found.tool == "composer" and found.verb == "install":
            return "composer", "composer.json"
        return None
    # Downloads that are not installs (CL201 does not count them): only the manifest-first order matters.
    program = posixpath.basename(argv[0]) if argv else ""
    rest = [arg for arg in argv[1:] if not arg.startswith("-")]
    if program == "go" and rest[:2] == ["mod", "download"]:
        return "go", "go.mod"
    if program == "dotnet" and rest[:1] == ["restore"]:
        return "dotnet", "*.csproj"
    return None


def runtime_install(project, service: Service) -> bool:
    """Whether the service's start command installs Python packages its code could import (CL201 reports
    every runtime install; this is the part that may provide imports, see
    :func:`composelint.analysis.commands.installs.python_package_install`)."""
    start = service.effective_start
    if start is None or not start.words:
        return False
    return any(python_package_install(invocation) for invocation in start_analysis(project, start).invocations)


def read_install(facts: StageFiles, stage: int, install: InstallCommand, workdir: str, position: int,
                 mounts: tuple[Entry, ...], out: Collected) -> None:
    """Add what ``install`` (a RUN command of ``stage``) installs to ``out``, or why it cannot be read.

    ``facts`` resolves the image paths the command names (``-r /app/requirements.txt``, ``.``) to the
    context files copied there before ``position``, or bind-mounted by the RUN step (``mounts``).
    """
    span = install.span()
    if install.tool != "system":
        out.install_spans.append(span)
    project = facts.project

    def locate(word: ShellWord) -> tuple[str, str] | None:
        if word.dynamic:
            return None
        return facts.resolve(stage, image_path(word.text, workdir), position, mounts)

    def unresolved(reason: str) -> None:
        out.unresolved.append(Unresolved(reason, span))

    def requirements(words: tuple[ShellWord, ...] | list[ShellWord]) -> None:
        for word in words:
            parsed = parse_requirement(word.text) if not word.dynamic else None
            if parsed:
                out.requirements.append(Requirement(parsed[0], parsed[1], word.text, span))
            else:
                unresolved(f"`{word.raw}` is not a requirement composelint can read")

    def project_dir(word: ShellWord, manifests: tuple[str, ...]) -> str | None:
        """The context directory of the project at image path ``word`` (found by its manifest files)."""
        if word.dynamic:
            return None
        base = image_path(word.text, workdir)
        for name in manifests:
            hit = facts.resolve(stage, posixpath.join(base, name), position, mounts)
            if hit is not None and hit[0] == "file":
                return facts.context.project_path(posixpath.dirname(hit[1]))
        hit = facts.resolve(stage, base, position, mounts)
        if hit is not None and hit[0] == "dir":
            return facts.context.project_path(hit[1])
        return None

    def local_project(word: ShellWord, extras: tuple[str, ...], **kwargs) -> None:
        directory = project_dir(word, ("pyproject.toml", "setup.cfg", "setup.py"))
        if directory is not None and read_local_project(project, directory, extras, span, out, **kwargs):
            return
        hit = locate(word)
        if hit is not None and hit[0] == "file":
            parsed = file_name_requirement(hit[1])
            if parsed:
                out.requirements.append(Requirement(parsed[0], (), word.text, span))
                return
        unresolved(f"`{word.text}` is a local project composelint cannot read")

    tool = install.tool
    if tool == "system":
        for word in install.positionals:
            if word.dynamic:
                unresolved(f"`{word.raw}` is decided when the image is built")
                continue
            name = system_python_package(word.text)
            if name:
                out.requirements.append(Requirement(name, (), word.text, span))
                if span not in out.install_spans:
                    out.install_spans.append(span)
        return
    if tool == "conda":
        unresolved("conda installs packages composelint does not read")
        return
    if tool == "easy_install":
        requirements(install.positionals)
        return
    if tool == "setup.py":
        local_project(ShellWord(posixpath.dirname(install.positionals[0].text) or ".", ".", 0), ())
        return
    if tool == "tool":
        for word in install.positionals:
            parsed = parse_requirement(word.text) if not word.dynamic else None
            if parsed:
                out.tools.add(parsed[0])
        return
    if tool in ("uv sync", "poetry", "pdm", "pipenv") or (tool == "uv add"):
        directory = install.values("--project", "--directory", "-C", "--cwd")
        base = directory[-1] if directory else ShellWord(".", ".", 0)
        only = [word.text for word in install.values("--only")]
        groups = not install.has("--no-dev", "--only-group") and "main" not in only
        names = [w for w in install.positionals if install.subcommand == "add" or tool == "pipenv"]
        requirements(names)
        extras = tuple(normalize(w.text) for w in install.values("--extra", "-E", "--extras"))
        if install.has("--all-extras"):
            extras += ("all",)
        kind = "pipenv" if tool == "pipenv" else "pip"
        directory = project_dir(base, ("Pipfile",) if kind == "pipenv" else ("pyproject.toml",))
        if directory is not None and read_local_project(project, directory, extras, span, out, groups=groups,
                                                        tool=kind):
            return
        if tool == "uv add" or (tool == "pipenv" and names):
            return
        unresolved(f"`{install.command.words[0].text} {install.subcommand}` reads a project composelint "
                   "cannot find")
        return
    # pip and uv pip
    for word in install.values("-r", "--requirement"):
        if word.dynamic:
            unresolved(f"`{word.raw}` is decided when the image is built")
            continue
        hit = locate(word)
        if hit is None or hit[0] != "file":
            unresolved(f"`{word.text}` is not copied from the build context before this step")
            continue
        path = facts.context.project_path(hit[1])
        name = posixpath.basename(path)
        if name in ("pyproject.toml", "setup.cfg", "setup.py"):
            extras = tuple(normalize(w.text) for w in install.values("--extra"))
            if not read_local_project(project, posixpath.dirname(path), extras, span, out):
                unresolved(f"`{path}` lists no dependencies composelint can read")
            continue
        read_requirements_file(project, path, out, origin=span)
    editables = install.values("-e", "--editable")
    for word in tuple(install.positionals) + editables:
        if word.dynamic:
            unresolved(f"`{word.raw}` is decided when the image is built")
            continue
        local = local_spec(word.text)
        if local is not None:
            if any(char in local[0] for char in "*?["):
                unresolved(f"`{word.text}` installs files composelint cannot read")
                continue
            local_project(ShellWord(local[0], word.raw, word.start), local[1])
            continue
        parsed = parse_requirement(word.text) or file_name_requirement(word.text)
        if parsed is None:
            if word.text.endswith((".whl", ".tar.gz", ".zip")) or URL_RE.match(word.text):
                unresolved(f"`{word.text}` names no distribution composelint can read")
                continue
            local_project(ShellWord(word.text, word.raw, word.start), ())
            continue
        out.requirements.append(Requirement(parsed[0], parsed[1], word.text, install.command.span(
            install.command.words.index(word) if word in install.command.words else 0)))
