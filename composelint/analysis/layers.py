"""What a RUN step leaves in its image layer: the facts the image-size rules (CL402, CL420-CL423) share.

* :func:`shipped_runs`: the RUN steps of the stages whose layers end up in an image that runs (a builder
  stage's layers stay behind: only what `COPY --from` takes out of it ships);
* :func:`mount_targets` / :func:`kept_out`: a `RUN --mount=type=cache` (or `tmpfs`) on a directory keeps what
  is written there out of the layer;
* :func:`removes`: an `rm` of the directory (or its contents) in the same RUN;
* :func:`cache_kept`: for a package manager's cache (:data:`LAYER_CACHES`), whether one command leaves it.
"""

from __future__ import annotations

import posixpath
from typing import Iterator, Mapping, Sequence

from composelint.analysis.commands.installs import subcommand_of
from composelint.analysis.commands.tables import LAYER_CACHES, LayerCache
# From their modules, not the python_deps facade, which imports the whole Python analysis (requirements,
# imports, installs: ~3 ms) for the main process's CL417 and CL420-CL423 that need none of it.
from composelint.analysis.python.builds import shipped_stages, stage_environments_of
from composelint.analysis.python.commands import ShellCommand, stage_run_commands

HOMES = ("~", "$HOME", "${HOME}", "/root")
_MOUNT_TARGET_KEYS = ("target", "dst", "destination")


def run_steps(project, shipped_only: bool = False) -> Iterator[tuple[object, object, object,
                                                                  tuple[ShellCommand, ...], Mapping[str, str]]]:
    """(dockerfile, stage, RUN instruction, its commands, the stage's ARG/ENV values) for every RUN step (of
    the stages whose layers ship, with ``shipped_only``)."""
    for dockerfile in project.dockerfiles.values():
        shipped = shipped_stages(project, dockerfile) if shipped_only else None
        environments = stage_environments_of(project, dockerfile)
        for stage in dockerfile.stages:
            if shipped is not None and stage.index not in shipped:
                continue
            for instruction, commands in zip(stage.instructions, stage_run_commands(project, dockerfile, stage)):
                if instruction.keyword == "RUN" and commands:
                    yield dockerfile, stage, instruction, commands, environments[stage.index]


def shipped_runs(project):
    """:func:`run_steps` of the stages whose layers end up in an image that runs: the final stage, a
    compose `target:`, and the stages they are built FROM (a builder stage's layers stay behind)."""
    return run_steps(project, shipped_only=True)


def normal_path(path: str) -> str:
    """``path`` without quotes and a trailing ``/`` or ``/*`` (what a removal or a mount names)."""
    path = path.strip("\"'")
    for suffix in ("/*", "/"):
        if path.endswith(suffix) and len(path) > len(suffix):
            path = path[: -len(suffix)]
    return path


def mount_targets(instruction, kinds: Sequence[str] = ("cache", "tmpfs")) -> list[str]:
    """The targets of the instruction's `--mount=type=<kind>` flags (normalised)."""
    found = []
    for flag in instruction.flags:
        if flag.name != "mount" or not flag.value:
            continue
        parts = dict(part.strip().partition("=")[::2] for part in flag.value.split(","))
        if parts.get("type") not in kinds:
            continue
        for key in _MOUNT_TARGET_KEYS:
            if parts.get(key):
                found.append(normal_path(parts[key]))
    return found


def covers(outer: str, directory: str) -> bool:
    """Whether the path ``outer`` is ``directory`` or holds it. ``directory`` may start with ``~/`` (under
    any user's home: ``/root/.npm``, ``/home/node/.npm``, ``$HOME/.npm``)."""
    outer = normal_path(outer)
    if directory.startswith("~/"):
        below = directory[2:]
        parts = below.split("/")
        # `outer` is the directory under some home, or a directory above it inside a home
        for count in range(len(parts), 0, -1):
            tail = "/".join(parts[:count])
            if outer == tail or outer.endswith("/" + tail):
                return True
        return outer in HOMES or posixpath.dirname(outer) == "/home"
    return outer == directory or (outer != "" and directory.startswith(outer.rstrip("/") + "/"))


def kept_out(instruction, directories: Sequence[str]) -> bool:
    """Whether a cache or tmpfs mount of the RUN step holds one of ``directories``."""
    return any(covers(target, directory) for target in mount_targets(instruction) for directory in directories)


def removes(commands: Sequence[ShellCommand], directories: Sequence[str]) -> bool:
    """Whether one of the commands runs `rm` on one of ``directories`` (or on its contents, `dir/*`)."""
    for command in commands:
        argv = command.argv
        if not argv or posixpath.basename(argv[0]) != "rm":
            continue
        for operand in argv[1:]:
            if operand.startswith("-"):
                continue
            if any(_names(operand, directory) for directory in directories):
                return True
    return False


def _names(operand: str, directory: str) -> bool:
    operand = normal_path(operand)
    if directory.startswith("~/"):
        return covers(operand, directory) and not (operand in HOMES or posixpath.dirname(operand) == "/home")
    return operand == directory or (operand != "/" and directory.startswith(operand.rstrip("/") + "/")
                                    and operand.count("/") >= 2)


def cache_directories(cache: LayerCache, env: Mapping[str, str], command: ShellCommand) -> list[str]:
    """Where the cache of ``cache`` is written for ``command``: its defaults, a variable of the stage or in
    front of the command, or the command's own option."""
    found = list(cache.directories)
    for variable in cache.variables:
        for value in (command.assignments.get(variable), env.get(variable)):
            if value:
                found.append(normal_path(value))
                found.extend((f"${variable}", f"${{{variable}}}"))
    if cache.option:
        argv = command.argv
        for index, word in enumerate(argv):
            if word == cache.option and index + 1 < len(argv):
                found.append(normal_path(argv[index + 1]))
            elif word.startswith(cache.option + "="):
                found.append(normal_path(word.partition("=")[2]))
    return found


def writes_cache(kind: str, command: ShellCommand) -> tuple[str, int] | None:
    """For a command that fills the cache ``kind`` (a key of :data:`LAYER_CACHES`): (the verb, the index of
    the last word of ``program verb``); None for any other command."""
    cache = LAYER_CACHES[kind]
    argv = command.argv
    if not argv or posixpath.basename(argv[0]) not in cache.programs:
        return None
    found = subcommand_of(argv)
    if found is None:
        return ("", 0) if "" in cache.verbs else None
    verb, index = found
    return (verb, index) if verb in cache.verbs else None


def cache_kept(kind: str, instruction, command: ShellCommand, env: Mapping[str, str]) -> bool:
    """Whether ``command`` (which :func:`writes_cache` ``kind``) leaves that cache in the layer: no option that
    disables it, no cache mount on it, no cleanup or removal of it in the same RUN."""
    cache = LAYER_CACHES[kind]
    if any(word in cache.no_cache_flags for word in command.argv[1:]):
        return False
    directories = cache_directories(cache, env, command)
    if kept_out(instruction, directories):
        return False
    everything = command.all_commands or (command,)
    # only what runs after it: a removal before `apt-get update` is undone by the update
    position = next((index for index, other in enumerate(everything) if other.words == command.words), 0)
    others = everything[position:]
    if removes(others, directories):
        return False
    for other in others:
        if other.argv:
            written = (posixpath.basename(other.argv[0]), *other.argv[1:])
            if any(written[:len(cleanup)] == cleanup for cleanup in cache.cleanups):
                return False
    return True


def kept_caches(project, kinds: Sequence[str]) -> Iterator[tuple[str, object, ShellCommand, tuple[str, int]]]:
    """(kind, RUN instruction, command, (verb, index of its last word)) for every command of a shipped stage
    that leaves a cache of ``kinds`` (keys of :data:`LAYER_CACHES`) in its layer."""
    for _, _, instruction, commands, env in shipped_runs(project):
        for command in commands:
            for kind in kinds:
                found = writes_cache(kind, command)
                if found is not None and cache_kept(kind, instruction, command, env):
                    yield kind, instruction, command, found
