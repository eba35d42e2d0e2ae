"""What a deployment request says (files, profiles, env files, where it was found) and the plan made of it.

The small sources of requests live here too: ``deployments:`` in the configuration, ``COMPOSE_FILE`` in a
``.env``, and the default compose files ``docker compose`` finds in a directory.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Callable, Mapping

from composelint.assembly.discovery import TEMPLATE_SUFFIXES
from composelint.diagnostics import Position, Span
from composelint.model import Located
from composelint.records import record
from composelint.relpaths import dirname


DEFAULT_BASES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


DEFAULT_OVERRIDES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                     "docker-compose.override.yaml")


SOURCES = ("config", "dotenv", "automation", "documented", "default")


@record(frozen=True, slots=True)
class Arg:
    """A word of an invocation: the text after quote removal, where it is written, and whether
    it still holds a variable or a substitution composelint does not expand."""

    text: str
    span: Span
    symbolic: bool = False


@record(frozen=True)
class Request:
    """A deployment as written, before its paths are resolved."""

    source: str  # "config" | "dotenv" | "automation" | "documented" | "default"
    origin: Span | None
    cwd: str | None  # directory relative paths are resolved against; None: unknown
    files: tuple[Arg, ...] = ()  # () -> COMPOSE_FILE of cwd's .env, else the default files
    profiles: tuple[str, ...] | None = None  # None: not given (COMPOSE_PROFILES applies)
    env_files: tuple[Arg, ...] = ()
    project_directory: Arg | None = None
    name: str | None = None
    targets: tuple[str, ...] = ()  # services named on the command line (their profiles are enabled)
    unresolved: tuple[Arg, ...] = ()  # symbolic words among compose's own options
    command: str = ""  # the invocation as written
    fallback_dirs: tuple[str, ...] = ()  # other working directories to try (a shell script's caller)
    environment: Mapping[str, str] = field(default_factory=dict)  # COMPOSE_FILE=… docker compose …
    where: Mapping[str, Span] = field(default_factory=dict)  # where an `export`/`env:` set a variable
    generated: frozenset = frozenset()  # file names the automation itself writes (`> compose.gen.yml`)
    orchestrator: str = "compose"  # "swarm": `docker stack deploy -c FILE STACK`


@record(frozen=True)
class Plan:
    """A deployment with its paths resolved: what project.py loads and merges."""

    name: str
    source: str
    origin: Span | None
    files: tuple[str, ...]
    project_dir: str
    profiles: tuple[str, ...]
    env_files: tuple[str, ...]
    unresolved: tuple[Located[str], ...] = ()
    targets: tuple[str, ...] = ()
    command: str = ""
    dotenv: str | None = None  # the .env that feeds interpolation when no env file is given
    orchestrator: str = "compose"
    notes: tuple[str, ...] = ()  # for listings (a template standing in for the override)

    def key(self) -> tuple:
        return (self.files, tuple(sorted(self.profiles)), self.env_files, self.project_dir, self.orchestrator)


@record(frozen=True)
class Invocation:
    files: tuple[Arg, ...]
    profiles: tuple[Arg, ...]
    env_files: tuple[Arg, ...]
    project_directory: Arg | None
    project_name: Arg | None
    subcommand: str | None
    targets: tuple[Arg, ...]
    unresolved: tuple[Arg, ...]
    program: Arg  # `docker` or `docker-compose`
    end: int  # offset after the last word of the command
    environment: Mapping[str, str]
    orchestrator: str = "compose"  # "swarm" for `docker stack deploy`


# Variables of the environment that change what `docker compose` runs.
COMPOSE_VARIABLES = frozenset(("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PATH_SEPARATOR", "COMPOSE_ENV_FILES"))


def mentions_deployment(text: str) -> bool:
    """Whether a text may hold a `docker compose` / `docker-compose` / `docker stack deploy` call."""
    return "compose" in text or "stack" in text


def dotenv_request(path: str, entries: Mapping[str, tuple[str, Span]]) -> Request | None:
    """``COMPOSE_FILE`` in a ``.env``: the files ``docker compose up`` runs in that directory."""
    files = dotenv_files(entries)
    if files is None:
        return None
    value, span = entries["COMPOSE_FILE"]
    profiles = entries.get("COMPOSE_PROFILES")
    return Request("dotenv", span, dirname(path), files, split_profiles(profiles[0]) if profiles else None,
                   command=f"COMPOSE_FILE={value}")


def dotenv_files(entries: Mapping[str, tuple[str, Span]]) -> tuple[Arg, ...] | None:
    """The files ``COMPOSE_FILE`` of a ``.env`` lists, split at its ``COMPOSE_PATH_SEPARATOR``;
    None when it is unset or blank."""
    compose_file = entries.get("COMPOSE_FILE")
    if compose_file is None or not compose_file[0].strip():
        return None
    separator = entries.get("COMPOSE_PATH_SEPARATOR", (":", None))[0] or ":"
    value, span = compose_file
    return tuple(Arg(part, span, "$" in part) for part in value.split(separator) if part)


def split_profiles(text: str) -> tuple[str, ...]:
    """``COMPOSE_PROFILES``: comma-separated, blanks dropped."""
    return tuple(p.strip() for p in text.split(",") if p.strip())


def config_request(spec, span: Span) -> Request:
    """One entry of the configuration's ``deployments:``; paths are relative to the project root."""
    files = tuple(Arg(text, span) for text in spec.files)
    env_files = tuple(Arg(text, span) for text in spec.env_files)
    project_directory = Arg(spec.project_directory, span) if spec.project_directory else None
    return Request("config", span, "", files, tuple(spec.profiles), env_files, project_directory,
                   name=spec.name, command=" ".join(f"-f {text}" for text in spec.files))


def origin_span(origin: str, fallback_path: str) -> Span:
    """A config origin ``path:line:col`` as a span."""
    match = re.match(r"^(.*?):(\d+):(\d+)$", origin or "")
    if match:
        return Span(match.group(1), Position(int(match.group(2)), int(match.group(3))))
    return Span(origin or fallback_path, Position(1, 1))


def default_files(directory: str, exists: Callable[[str], bool], search_parents: bool = False) -> tuple[str, ...]:
    """What ``docker compose`` finds without ``-f``: the first default name and its override."""
    current: str | None = directory
    while current is not None:
        prefix = f"{current}/" if current else ""
        for base in DEFAULT_BASES:
            if exists(prefix + base):
                # compose-go takes the first override name present, whatever the base file's name
                override = next((prefix + name for name in DEFAULT_OVERRIDES if exists(prefix + name)), None)
                if override is None:  # users copy the template into place before `docker compose up`
                    override = next((prefix + name + suffix for name in DEFAULT_OVERRIDES
                                     for suffix in TEMPLATE_SUFFIXES if exists(prefix + name + suffix)), None)
                return (prefix + base,) + ((override,) if override else ())
        if not search_parents or current == "":
            break
        current = dirname(current)
    return ()


def stand_in(path: str) -> bool:
    """Whether ``path`` is an override template (``compose.override.yaml.example``) used in place of the override."""
    stem, dot, suffix = path.rsplit("/", 1)[-1].rpartition(".")
    return bool(dot) and "." + suffix in TEMPLATE_SUFFIXES and stem in DEFAULT_OVERRIDES
