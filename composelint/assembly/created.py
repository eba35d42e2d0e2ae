"""Paths the repository's own automation creates before it builds or deploys.

A `.env` made by a Makefile target (`.env:` with `printf … >> .env`), a `.pki/` made by `mkdir -p .pki`
in the script that then builds, a `bundle-backend/` that a workflow moves into the build context: these
are not missing files, only files the checkout does not hold yet. CL008 (env_file) and CL406 / CL203
(build-context sources) ask here before they call a file missing.

Read from the texts of the automation files (shell scripts, Makefiles, CI workflows); nothing is run.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from composelint.assembly.discovery import is_automation_path
from composelint.lazyre import LazyPattern
from composelint.records import record
from composelint.relpaths import dirname, resolve_relative

# program -> which of its operands it creates: "all" (mkdir, touch) or "last" (the destination)
_CREATES = {"mkdir": "all", "touch": "all", "tee": "all", "cp": "last", "mv": "last", "ln": "last",
            "install": "last", "rsync": "last"}
_OUTPUT_FLAGS = ("-o", "-O", "--output", "-out", "--output-document")
_REDIRECT = LazyPattern(r"""(?:^|(?<=[\s;&|]))[0-9]?>>?\|?\s*["']?([^\s"';|&<>()$`=]+)""", re.MULTILINE)
_MAKE_TARGET = LazyPattern(r"^([^\s:#=$%][^:#=$%]*?)\s*::?(?!=)", re.MULTILINE)
_SPECIAL_TARGET = LazyPattern(r"^\.[A-Z_]+$")  # .PHONY, .DEFAULT, .SUFFIXES


@record(frozen=True, slots=True)
class Creation:
    path: str  # project-relative, what is created (a file or a directory)
    origin: str  # "path:line" of the automation that creates it
    command: str  # as written, shortened

    def describe(self) -> str:
        return f"`{self.command}` ({self.origin})"


class CreatedPaths:
    """Project-relative paths the automation creates; a path under a created directory counts too."""

    def __init__(self, creations: Iterable[Creation]) -> None:
        self.by_path: dict[str, Creation] = {}
        for creation in creations:
            self.by_path.setdefault(creation.path, creation)

    def creator(self, relpath: str | None) -> Creation | None:
        """What creates ``relpath`` or a directory holding it (None: nothing the repository runs)."""
        while relpath:
            found = self.by_path.get(relpath)
            if found is not None:
                return found
            relpath = dirname(relpath)
        return None

    def __bool__(self) -> bool:
        return bool(self.by_path)


def created_paths(files: Iterable[tuple[str, str]]) -> CreatedPaths:
    """Every path the automation files (path, text) create, with the first place that does."""
    creations: list[Creation] = []
    for path, text in files:
        name = path.rsplit("/", 1)[-1]
        if name in ("Makefile", "GNUmakefile", "makefile") or name.endswith(".mk"):
            directory = dirname(path)
            for match in _MAKE_TARGET.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                for target in match.group(1).split():
                    if not _SPECIAL_TARGET.match(target):
                        resolved = resolve_relative(directory, target)
                        if resolved:
                            creations.append(Creation(resolved, f"{path}:{line}", f"make {target}"))
        for unit, starts in _units(path, text):
            for start in starts:
                creations.extend(_unit_creations(path, unit, start))
    return CreatedPaths(creations)


def _is_readme(relpath: str) -> bool:
    """README*.md, in any case."""
    name = relpath.rpartition("/")[2].lower()
    return name.startswith("readme") and name.endswith(".md")


def is_creator_path(relpath: str) -> bool:
    """Files whose commands may create paths: automation, and the setup steps a README documents.

    Asked of every file of the repository (thousands in a monorepo): the name is looked at first."""
    return _is_readme(relpath) or is_automation_path(relpath)


def creator_files(paths, read: Callable[[str], str | None],
                  also: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """(path, text) of the creator paths among ``paths`` (and those ``also`` accepts), in path order;
    files ``read`` cannot read are left out. Few of thousands: only those are sorted."""
    chosen = sorted(path for path in paths if is_creator_path(path) or (also is not None and also(path)))
    return [(path, text) for path in chosen if (text := read(path)) is not None]


def project_created_paths(project) -> CreatedPaths:
    """The paths the project's automation and documented setup create (computed once per project)."""
    return project.derived("created.paths", lambda p: created_paths(creator_files(p.files, p.read_text)))


def _units(path: str, text: str):
    """(unit, the working directories it may start in) for each piece of shell the file runs."""
    from composelint.assembly.deployments import automation_units, document_units, unit_from_text

    name = path.rsplit("/", 1)[-1]
    directory = dirname(path)
    if _is_readme(path):
        # Documented setup (`cp env.example .env`), run from the README's directory.
        return [(unit, (directory,)) for unit in document_units(path, text, wanted=_any_text)]
    if name.endswith((".sh", ".bash")):
        # Run from its own directory or from the root (the usual callers); each resolution counts.
        return [(unit_from_text(text, 1, 1, directory), tuple(dict.fromkeys((directory, ""))))]
    # Every recipe and CI step, not only those that run `docker compose`: `mkdir -p data` and
    # `docker build -t web` sit in recipes of their own.
    return [(unit, (unit.cwd,)) for unit in automation_units(path, text, wanted=_any_text) if unit.cwd is not None]


def _any_text(text: str) -> bool:
    return True


def _commands_with_cwd(unit, start: str | None):
    """(words, working directory) of each simple command of ``unit``, following cd/pushd/popd; a
    function body starts again where the script starts (functions run in any order)."""
    from composelint.analysis.commands.directories import Directories
    from composelint.analysis.commands.syntax import command_tokens

    def change(cwd: str | None, target) -> str | None:
        if cwd is None or target.symbolic or target.text.startswith("/"):
            return None
        return resolve_relative(cwd, target.text)

    directories = Directories(start, change, None)
    for words, command in command_tokens(unit.text):
        if not directories.follow(words, command.subshell, command.in_function):
            yield words, directories.current


def _unit_creations(path: str, unit, start: str | None) -> list[Creation]:
    found: list[Creation] = []
    spans: list[tuple[int, int, str | None]] = []  # (start, end, cwd) of each command, for redirections

    def add(written: str, offset: int, command: str, directory: str | None) -> None:
        written = written.strip("\"'").rstrip("/")
        if not written or directory is None or written.startswith(("-", "=", "&")) or any(
                char in written for char in "$*=&"):
            return
        resolved = resolve_relative(directory, written)
        if resolved:
            line = unit.position(offset)[0]
            found.append(Creation(resolved, f"{path}:{line}", command if len(command) <= 60 else command[:59] + "…"))

    for words, cwd in _commands_with_cwd(unit, start):
        program = words[0].text.rsplit("/", 1)[-1]
        command = " ".join(unit.text[words[0].start:words[-1].end].split())
        spans.append((words[0].start, words[-1].end, cwd))
        operands = [word for word in words[1:] if not word.symbolic]
        mode = _CREATES.get(program)
        if mode == "all":
            for word in operands:
                if not word.text.startswith("-"):
                    add(word.text, word.start, command, cwd)
        elif mode == "last" and len(words) > 2 and not words[-1].symbolic:
            add(words[-1].text, words[-1].start, command, cwd)
        for flag, value in zip(words[1:], words[2:]):
            if flag.text in _OUTPUT_FLAGS and not value.symbolic:
                add(value.text, value.start, command, cwd)
    for match in _REDIRECT.finditer(unit.text):
        if match.group(1).startswith("/"):
            continue
        directory = next((c for s, e, c in spans if s <= match.start() <= e), start)
        command = next((" ".join(unit.text[s:e].split()) for s, e, c in spans if s <= match.start() <= e),
                       match.group(0))
        add(match.group(1), match.start(1), command, directory)
    return found


# --------------------------------------------------------------------------- build contexts the repository names

# `docker build` options that take a value (the rest are switches); `--opt=value` is one word.
_BUILD_VALUE_FLAGS = frozenset((
    "-t", "--tag", "--build-arg", "--target", "--platform", "-o", "--output", "--cache-from", "--cache-to",
    "--secret", "--ssh", "--label", "--network", "--progress", "--iidfile", "--metadata-file", "--add-host",
    "--builder", "--shm-size", "--ulimit", "--attest", "--build-context", "--allow", "--annotation", "-m",
    "--memory", "--cgroup-parent", "--isolation", "--security-opt", "--call", "--sbom", "--provenance"))
_PWD_PREFIX = LazyPattern(r"^(?:\$PWD|\$\{PWD\}|\$\(pwd\)|`pwd`)/")
_BAKE_BLOCK = LazyPattern(r'^\s*target\s+"[^"]*"\s*\{(.*?)^\s*\}', re.MULTILINE | re.DOTALL)
_BAKE_ATTR = LazyPattern(r'^\s*(context|dockerfile)\s*=\s*"([^"$]*)"', re.MULTILINE)


@record(frozen=True, slots=True)
class NamedContext:
    dockerfile: str  # project-relative
    context: str  # project-relative ("" is the root)
    origin: str  # "path:line" where the build is written
    tags: tuple[str, ...] = ()  # `-t NAME[:TAG]` of that build, as written (no variables)
    # The NAMEs of its `--build-arg NAME[=value]` (`docker build`); None: not known (bake, an action's
    # `build-args:`, a `--build-arg $VARS`).
    build_args: tuple[str, ...] | None = None


def is_build_config_path(relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1]
    return name.startswith("docker-bake") and name.endswith(".hcl")


def named_build_contexts(files: Iterable[tuple[str, str]]) -> dict[str, list[NamedContext]]:
    """Dockerfile -> the build contexts the repository builds it with: `docker build -f X CONTEXT` in
    scripts, Makefiles and CI steps, a workflow's docker/build-push-action `context:`/`file:`, and
    docker-bake.hcl targets. Arguments composelint cannot expand are left out."""
    found: dict[str, list[NamedContext]] = {}

    def add(dockerfile: str | None, context: str | None, origin: str, tags: tuple[str, ...] = (),
            build_args: tuple[str, ...] | None = None) -> None:
        if dockerfile is not None and context is not None:
            entry = NamedContext(dockerfile, context, origin, tags, build_args)
            if entry not in found.setdefault(dockerfile, []):
                found[dockerfile].append(entry)

    for path, text in files:
        if is_build_config_path(path):
            directory = dirname(path)
            for block in _BAKE_BLOCK.finditer(text):
                attrs = {m.group(1): m.group(2) for m in _BAKE_ATTR.finditer(block.group(1))}
                context = resolve_relative(directory, attrs.get("context", "."))
                if context is not None:
                    dockerfile = resolve_relative(context, attrs.get("dockerfile", "Dockerfile"))
                    add(dockerfile, context, f"{path}:{text.count(chr(10), 0, block.start()) + 1}")
            continue
        if path.startswith(".github/workflows/"):
            _build_push_actions(path, text, add)
        for unit, starts in _units(path, text):
            for start in starts:
                _docker_builds(path, unit, start, add)
    return found


def _docker_builds(path: str, unit, start: str | None, add) -> None:
    for words, cwd in _commands_with_cwd(unit, start):
        texts = [word.text for word in words]
        try:
            index = next(i for i in range(len(texts) - 1) if texts[i].rsplit("/", 1)[-1] in ("docker", "podman")
                         and (texts[i + 1] == "build" or texts[i + 1:i + 3] == ["buildx", "build"]))
        except StopIteration:
            continue
        if cwd is None:
            continue
        rest = words[index + (3 if texts[index + 1] == "buildx" else 2):]
        dockerfile_word, context_word, skip = None, None, False
        tags = []
        build_args: list[str] | None = []
        for i, word in enumerate(rest):
            if skip:
                skip = False
                continue
            if word.text == "--build-arg" or word.text.startswith("--build-arg="):
                value = rest[i + 1] if word.text == "--build-arg" and i + 1 < len(rest) else word
                name = (value.text.split("=", 1)[1] if value is word else value.text).partition("=")[0]
                if build_args is not None and name and not any(char in name for char in "$`"):
                    build_args.append(name)
                else:
                    build_args = None
            if word.text in ("-t", "--tag") and i + 1 < len(rest) and not rest[i + 1].symbolic:
                tags.append(rest[i + 1].text)
            elif word.text.startswith("--tag=") and not word.symbolic:
                tags.append(word.text.split("=", 1)[1])
            if word.text in ("-f", "--file"):
                dockerfile_word = rest[i + 1] if i + 1 < len(rest) else None
                skip = True
            elif word.text.startswith("--file="):
                dockerfile_word = word  # handled below
            elif word.text in _BUILD_VALUE_FLAGS:
                skip = True
            elif not word.text.startswith("-") and context_word is None:
                context_word = word
        if context_word is None or context_word.symbolic or context_word.text == "-" or "://" in context_word.text:
            continue
        context = resolve_relative(cwd, context_word.text)
        if dockerfile_word is None:
            dockerfile = resolve_relative(context, "Dockerfile") if context is not None else None
        else:
            written = dockerfile_word.text.split("=", 1)[1] if dockerfile_word.text.startswith("--file=") \
                else dockerfile_word.text
            written = _PWD_PREFIX.sub("", written)
            if "$" in written or "`" in written:
                continue
            dockerfile = resolve_relative(cwd, written)
        add(dockerfile, context, f"{path}:{unit.position(words[index].start)[0]}", tuple(tags),
            tuple(build_args) if build_args is not None else None)


def _build_push_actions(path: str, text: str, add) -> None:
    """`uses: docker/build-push-action@…` steps: `with: {context, file}` (file relative to the root)."""
    from composelint.parsers.yaml_loader import YamlLimits, load_yaml
    from composelint.yamltree import YMap, YScalar, YSeq

    document = load_yaml(text, path, YamlLimits(200_000, 100))
    stack = [document.root]
    while stack:
        node = stack.pop()
        if isinstance(node, YSeq):
            stack.extend(node.items)
        elif isinstance(node, YMap):
            uses = node.get("uses")
            settings = node.get("with")
            if isinstance(uses, YScalar) and str(uses.value).startswith("docker/build-push-action") \
                    and isinstance(settings, YMap):
                context_node, file_node = settings.get("context"), settings.get("file")
                tags_node = settings.get("tags")
                tags = tuple(tag.strip() for tag in re.split(r"[,\n]", str(tags_node.value))
                             if tag.strip() and "$" not in tag) if isinstance(tags_node, YScalar) else ()
                context_text = str(context_node.value) if isinstance(context_node, YScalar) else "."
                if "$" in context_text or "://" in context_text:
                    continue
                context = resolve_relative("", context_text)
                if isinstance(file_node, YScalar):
                    file_text = str(file_node.value)
                    dockerfile = None if "$" in file_text else resolve_relative("", file_text)
                else:
                    dockerfile = resolve_relative(context, "Dockerfile") if context is not None else None
                add(dockerfile, context, f"{path}:{uses.span.start.line}", tags)
            else:
                stack.extend(entry.value for entry in node.entries.values())


def project_named_contexts(project) -> dict[str, list[NamedContext]]:
    return project.derived("created.named_contexts",
                           lambda p: named_build_contexts(creator_files(p.files, p.read_text, is_build_config_path)))


def project_built_images(project) -> frozenset:
    """Repositories of the images the repository builds itself: a compose service's `image:` beside
    its `build:`, and the `-t` of a `docker build` in its automation. A service that names one of
    them runs that local build (Compose pulls nothing when the image exists), not a moving tag."""
    def compute(p):
        from composelint.imageref import parse_image_ref

        names = {tag for contexts in project_named_contexts(p).values() for context in contexts
                 for tag in context.tags}
        for contexts in (p.deployments, getattr(p, "variants", ())):
            for deployment in contexts:
                for service in deployment.services.values():
                    if service.image is not None and service.get("build") is not None:
                        names.add(service.image.value)
        return frozenset(parse_image_ref(name).name for name in names)

    return project.derived("created.built_images", compute)
