"""Which files of a repository composelint reads (reading them safely: composelint.assembly.reading).

The walk never follows a directory symlink (so no loop and no escape from the
root), never opens anything but a regular file (a FIFO named ``Dockerfile``
must not block), never reads more than a size limit, and turns every I/O
fault into a problem with a location instead of an exception.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import field
from pathlib import Path

from composelint.assembly.reading import is_inside
from composelint.lazyre import LazyPattern
from composelint.records import record

SKIP_DIRS = frozenset((".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".composelint_cache",
                       ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"))

_COMPOSE_NAME = re.compile(
    r"^(?:(?:docker-)?compose(?:\.[^/]+)?|[^/]+\.compose)\.ya?ml$", re.IGNORECASE)
# `Dockerfile-tester` and `Dockerfile_prod` are built with `docker build -f` as often as `Dockerfile.prod`.
_DOCKERFILE_NAME = re.compile(r"^(?:(?:Dockerfile|Containerfile)(?:[._-][^/]+)?|[^/]+\.[Dd]ockerfile)$")
# Files the model reads besides compose files and Dockerfiles.
_AUTOMATION_NAME = re.compile(
    r"^(?:Makefile|GNUmakefile|makefile|[^/]+\.mk|[^/]+\.sh|[^/]+\.bash|justfile|Justfile|\.justfile|"
    r"Taskfile\.ya?ml|\.gitlab-ci\.ya?ml|package\.json)$")
# Every name _AUTOMATION_NAME matches, or a workflow, ends so (`$` also matches before a final newline).
_AUTOMATION_ENDINGS = ("file", ".mk", ".sh", ".bash", ".yml", ".yaml", ".json")
ROOT_MARKERS = (".git", ".composelint.yaml", ".composelint.yml")

# A YAML file of any name may be a compose file (`docker-stack.yml`, `production.yml`,
# `infra/logging.yml`): its content decides (is_compose_content). A copy with a template suffix
# (`compose.override.yaml.example`) is recognised as a template: something a user copies into
# place, not a file any command runs. A backup (`docker-compose.yml-e`, the file BSD `sed -i -e`
# leaves behind; `.bak`, `.orig`, `~`) is neither: nothing runs it and linting it repeats the
# findings of the file it copies.
# A compose or env file the repository ships for users to copy into place (the real one is not
# committed): the planner lets such a template stand in for a missing override or env file.
TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".tmpl", ".tpl", ".dist", ".default")
# `.in` is a template too, but one a tool (configure, envsubst) fills in: never a stand-in.
_YAML_CANDIDATE = re.compile(
    r"\.ya?ml(?:(?P<template>\.(?:" + "|".join(suffix[1:] for suffix in TEMPLATE_SUFFIXES + (".in",)) + r"))"
    r"|(?P<backup>-e|~|\.(?:bak|orig|old|backup|save|swp)))?$", re.IGNORECASE)
_TOP_LEVEL_KEYS = frozenset(("version", "name", "include", "services", "networks", "volumes", "configs",
                             "secrets", "models"))
# The service keys of the Compose Specification (tests/test_discovery.py keeps them in step
# with parsers/compose_schema.json); written out so that the walk imports nothing.
SERVICE_KEYS = frozenset((
    "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup", "cgroup_parent",
    "command", "configs", "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota",
    "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset", "credential_spec", "depends_on",
    "deploy", "develop", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname",
    "entrypoint", "env_file", "environment", "expose", "extends", "external_links", "extra_hosts", "gpus",
    "group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation", "label_file", "labels", "links",
    "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "models",
    "network_mode", "networks", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports",
    "post_start", "pre_start", "pre_stop", "privileged", "profiles", "provider", "pull_policy",
    "pull_refresh_after", "read_only", "restart", "runtime", "scale", "secrets", "security_opt", "shm_size",
    "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits",
    "use_api_socket",
    "user", "userns_mode", "uts", "volumes", "volumes_from", "working_dir"))
SNIFF_HEAD = 64 * 1024  # what discovery reads of a YAML file to tell a compose file from another


def is_compose_name(name: str) -> bool:
    return bool(_COMPOSE_NAME.match(name))


def yaml_candidate_kind(name: str) -> str | None:
    """"compose", "template" or "backup" for a name that may hold a compose file; None otherwise."""
    match = _YAML_CANDIDATE.search(name)
    if match is None:
        return None
    return "template" if match.group("template") else "backup" if match.group("backup") else "compose"


def is_dockerfile_name(name: str) -> bool:
    return bool(_DOCKERFILE_NAME.match(name))


def is_automation_path(relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1]
    if not name.endswith(_AUTOMATION_ENDINGS) and not name.endswith("\n"):
        return False  # most files of a repository, told without a regex
    if _AUTOMATION_NAME.match(name):
        return True
    return relpath.startswith(".github/workflows/") and name.endswith((".yml", ".yaml"))


_KEY_LINE = LazyPattern(r"""^(?:"([^"]*)"|'([^']*)'|([^\s#'"{\[\]},&*!|>%@`?-][^:#]*?|-[^\s:#][^:#]*?))[ \t]*:(?:[ \t]+(.*))?$""")
_FLOW_KEY = LazyPattern(r"""[{,]\s*["']?([A-Za-z_][\w.-]*)["']?\s*:""")
_SERVICES_ENOUGH = 20  # services looked at before deciding: the rest is more of the same


def _strip_comment(value: str) -> str:
    """A value written after `key:` without its trailing comment (quotes are not looked into)."""
    if value.startswith("#"):
        return ""
    cut = value.find(" #")
    return (value if cut < 0 else value[:cut]).strip()


def is_compose_content(text: str, complete: bool = True) -> bool | None:
    """Whether a YAML text is a compose file, from its top-level keys and the shape of `services:`.

    A compose file's top-level keys are all Compose's own (`services`, `include`, `networks`,
    `volumes`, `configs`, `secrets`, `models`, `name`, `version`) or extensions (`x-…`), and
    it has an `include:` list, or a `services:` mapping whose entries are mappings keyed mostly
    by the Compose Specification's service keys (`image`, `build`, `extends`, `command`, …).
    That rejects what else commonly says `services:`: a GitHub workflow (`on:`, `jobs:`), a
    .gitlab-ci.yml (`services:` is a list, besides `stages:`), Kubernetes manifests
    (`apiVersion:`), Helm values, Ansible playbooks (a top-level list), pre-commit configs.

    Reads lines, not YAML: it is run on every YAML file of a repository. ``complete`` is False
    when ``text`` is only the head of the file: None then means "read more".
    """
    lines = text.split("\n")
    if not complete and lines:
        lines.pop()  # possibly cut in the middle
    seen_include = False
    state = None  # the top-level key being read: "services" | "include" | other
    child_indent = grandchild_indent = None
    current: list[str] | None = None
    verdicts: list[bool] = []  # per service: looks like a service
    known = unknown = 0

    def close_service() -> None:
        nonlocal known, unknown
        if not current:
            return  # an empty service or an alias: neither for nor against
        good = [key for key in current if key in SERVICE_KEYS]
        bad = [key for key in current if key not in SERVICE_KEYS and key != "<<" and not key.startswith("x-")]
        known += len(good)
        unknown += len(bad)
        verdicts.append(bool(good) or not bad)

    for raw in lines:
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            if stripped.startswith(("---", "...")) and (len(stripped) == 3 or stripped[3] in " \t#"):
                continue
            if stripped.startswith("%"):
                continue  # a YAML directive
            if state == "services":
                close_service()
                current = None
            match = _KEY_LINE.match(raw.rstrip())
            if match is None:
                return False  # a list, a flow collection, a scalar: not a compose mapping
            key = match.group(1) if match.group(1) is not None else match.group(2) \
                if match.group(2) is not None else match.group(3).strip()
            if key not in _TOP_LEVEL_KEYS and not key.startswith("x-"):
                return False
            value = _strip_comment(match.group(4) or "")
            state, child_indent, grandchild_indent = key, None, None
            if key == "services" and value.startswith("&"):
                value = value.split(None, 1)[1] if " " in value else ""
            if key == "services" and value:
                if value in ("{}", "null", "~"):
                    continue
                if not value.startswith("{"):
                    return False
                current = [m.group(1) for m in _FLOW_KEY.finditer(value)][1:]  # the service keys, roughly
                close_service()
                current = None
                state = None
            elif key == "include":
                seen_include = seen_include or not value or value.startswith("[")
            continue
        if state == "services":
            if child_indent is None:
                child_indent = indent
            if indent == child_indent:
                if stripped.startswith("- "):
                    return False  # `services:` is a list (GitLab CI, Travis, Drone)
                close_service()
                current = None
                match = _KEY_LINE.match(stripped)
                if match is None:
                    return False
                value = _strip_comment(match.group(4) or "")
                if value.startswith("&"):
                    value = value.split(None, 1)[1] if " " in value else ""
                if value.startswith("{") and value != "{}":
                    current = [m.group(1) for m in _FLOW_KEY.finditer(value)]
                    close_service()
                    current = None
                elif value == "":
                    current = []  # a block mapping follows
                elif not (value.startswith("*") or value in ("{}", "null", "~")):
                    return False  # a scalar service: not Compose's shape (an alias or an empty one is neutral)
                grandchild_indent = None
                if len(verdicts) >= _SERVICES_ENOUGH:
                    break
            elif indent > child_indent and current is not None:
                if grandchild_indent is None:
                    grandchild_indent = indent
                if indent == grandchild_indent:
                    if stripped.startswith("- "):
                        return False  # a service that is a list
                    match = _KEY_LINE.match(stripped)
                    if match is not None:
                        current.append(match.group(1) or match.group(2) or match.group(3).strip())
    if state == "services":
        close_service()
    if not verdicts and not seen_include:
        if not complete:
            return None
        return False
    if verdicts and (not all(verdicts) or unknown > known):
        return False
    return True


def find_project_root(start: Path) -> Path:
    """The nearest ancestor holding .git: the repository is one project, and a configuration below
    its root governs only the files below it (see config.with_nested). A configuration that says
    `root: true` makes its directory a project of its own and ends the search there. Outside any
    repository: the nearest ancestor holding .composelint.yaml or a pyproject with
    [tool.composelint], else the start directory."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    configured = None
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
        config = _config_file(candidate)
        if config is not None:
            if is_root_config(config):
                return candidate
            configured = configured or candidate
    return configured or directory


def is_root_config(path: Path) -> bool:
    """Whether the configuration file says `root: true`, read without a YAML or TOML parser
    (it is asked for every configuration above the linted path)."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return False
    if path.name == "pyproject.toml":
        section = re.search(r"(?m)^\[tool\.composelint\]\s*$(.*?)(?=^\[|\Z)", text, re.S)
        text = section.group(1) if section else ""
    return re.search(r"(?m)^root\s*[:=]\s*(?i:true)\s*(#.*)?$", text) is not None


def _config_file(directory: Path) -> Path | None:
    for marker in ROOT_MARKERS[1:]:
        if (directory / marker).exists():
            return directory / marker
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        try:
            with open(pyproject, "rb") as handle:
                head = handle.read(1_000_000)
        except OSError:
            return None
        if b"[tool.composelint" in head:
            return pyproject
    return None


@record
class FileSet:
    """Project-relative POSIX paths of what the walk found."""

    root: Path
    compose: list[str] = field(default_factory=list)  # by name, or a `.yml`/`.yaml` file by content
    compose_by_content: list[str] = field(default_factory=list)  # those of ``compose`` found by content
    # Compose files that nothing runs as they are: path -> "template" (`compose.override.yaml.example`,
    # a file to copy into place) or "backup" (`docker-compose.yml-e`, `.bak`, `~`). Not in ``compose``.
    compose_copies: dict[str, str] = field(default_factory=dict)
    dockerfiles: list[str] = field(default_factory=list)
    dockerignores: list[str] = field(default_factory=list)
    automation: list[str] = field(default_factory=list)
    all_files: set[str] = field(default_factory=set)
    directories: set[str] = field(default_factory=set)
    # (relpath, message) of entries the walk could not use: a symlink out of the root, a special file
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _excluded(relpath: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(relpath, pattern) or fnmatch.fnmatchcase(relpath.rsplit("/", 1)[-1], pattern):
            return True
        if relpath.startswith(pattern + "/"):
            return True
    return False


def walk(root: Path, exclude: tuple[str, ...] = (), max_bytes: int = 10 * 1024 * 1024) -> FileSet:
    """Every file of the tree, with compose files (by name, else by content: see
    is_compose_content), Dockerfiles, .dockerignore and automation files picked out.

    ``max_bytes`` is the read limit (``limits.max-file-size``): a YAML file is read no further
    than it to decide whether it is a compose file, and usually only its first bytes."""
    found = FileSet(root)
    root_str = str(root)
    real_root = os.path.realpath(root_str)

    def on_error(error: OSError) -> None:
        rel = os.path.relpath(error.filename or root_str, root_str).replace(os.sep, "/")
        found.skipped.append((rel, f"cannot list directory: {error.strerror or error}"))

    for directory, reldir, dirs, files in _scan(root_str, on_error):
        # Directory symlinks are not followed: no loops, no escape from the root.
        dirs[:] = [(name, entry) for name, entry in dirs if name not in SKIP_DIRS and not entry.is_symlink()
                   and not _excluded(f"{reldir}/{name}" if reldir else name, exclude)]
        found.directories.update(f"{reldir}/{name}" if reldir else name for name, _ in dirs)
        for name, entry in files:
            relpath = f"{reldir}/{name}" if reldir else name
            if _excluded(relpath, exclude):
                continue
            if entry.is_symlink():
                if not is_inside(os.path.realpath(os.path.join(directory, name)), real_root):
                    if is_compose_name(name) or is_dockerfile_name(name):
                        found.skipped.append((relpath, "the file is a symlink that leads outside the project root; "
                                                       "composelint does not read it"))
                    continue
            found.all_files.add(relpath)
            if is_compose_name(name):
                found.compose.append(relpath)
            elif is_dockerfile_name(name):
                found.dockerfiles.append(relpath)
            elif name == ".dockerignore" or name.endswith(".dockerignore"):
                found.dockerignores.append(relpath)
            elif is_automation_path(relpath):
                found.automation.append(relpath)
            else:
                kind = yaml_candidate_kind(name)
                if kind is not None and sniff_compose(os.path.join(directory, name), max_bytes):
                    if kind == "compose":
                        found.compose.append(relpath)
                        found.compose_by_content.append(relpath)
                    else:
                        found.compose_copies[relpath] = kind
    return found


def _scan(top: str, on_error):
    """``os.walk(top)``, yielding sorted (name, DirEntry) lists (the caller prunes the directories'): an entry
    tells a symlink from the listing's file type, without a ``stat`` per file (thousands in a monorepo)."""
    stack = [(top, "")]
    while stack:
        directory, reldir = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted((entry.name, entry) for entry in iterator)  # names are unique
        except OSError as error:
            on_error(error)
            continue
        dirs, files = [], []
        for item in entries:
            try:
                (dirs if item[1].is_dir() else files).append(item)
            except OSError:
                files.append(item)
        yield directory, reldir, dirs, files
        stack.extend((os.path.join(directory, name), f"{reldir}/{name}" if reldir else name)
                     for name, _ in reversed(dirs))


def sniff_compose(path: str, max_bytes: int) -> bool:
    """Whether the file at ``path`` holds a compose file: its first bytes decide, else up to ``max_bytes``.

    Never blocks (non-blocking open, regular files only) and never raises: a file that cannot be
    read is not a compose file here."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        head = min(SNIFF_HEAD, max_bytes)
        data = os.read(fd, min(head, info.st_size + 1))  # no 64 KiB buffer for a small file
        complete = len(data) >= info.st_size or len(data) < head
        verdict = _sniff_bytes(data, complete)
        if verdict is None and info.st_size <= max_bytes:
            while len(data) < max_bytes:  # the top-level keys seen so far are Compose's: read on
                chunk = os.read(fd, min(1 << 20, max_bytes - len(data)))
                if not chunk:
                    break
                data += chunk
            verdict = _sniff_bytes(data, True)
        return bool(verdict)
    except OSError:
        return False
    finally:
        os.close(fd)


def _sniff_bytes(data: bytes, complete: bool) -> bool | None:
    if b"\x00" in data:
        return False
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return is_compose_content(text, complete)
