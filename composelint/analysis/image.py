"""What an image contains, as far as the files tell: the facts behind CL203, CL204, CL401 and CL406.

Per Dockerfile stage (and the stages it is built FROM) this module keeps the instructions that
shape the file system, in order: COPY/ADD (sources resolved in the build context with
``.dockerignore`` applied and globs expanded, relative destinations joined to the WORKDIR in
force, ``COPY --from`` another stage followed into that stage), WORKDIR, USER, ENV, and RUN
(classified: package installs, pip installs, harmless housekeeping, commands that write where
they run or where they say, and opaque ones such as ``curl … | sh``). A query then walks the
instructions backwards:

* :meth:`ImageModel.lookup` — is a path in the image? ``present`` (with the instruction that put it
  there), ``absent`` (nothing could have: the base is known and no instruction touches it), or
  ``unknown``. A RUN that mentions the path, its directory or its name, or that runs in a
  directory above it, makes it unknown: absence must be certain.
* :meth:`ImageModel.program` — does a program resolve on PATH? From the packaged table of base
  images (``composelint/data/base-images.yaml``), packages installed by apt-get/apk, console
  scripts of pip-installed distributions (asked of :mod:`composelint.analysis.python_deps`),
  files copied onto PATH. An image the table does not know makes every program unknown.

:class:`ServiceView` lays a service's bind mounts, volumes and ``working_dir`` over the image.
:func:`start_targets` lists every start command to check: each service's effective command, and
the CMD/ENTRYPOINT of Dockerfiles that no service builds. Everything is cached per project.
"""

from __future__ import annotations

import bisect
import fnmatch
import posixpath
import re
from dataclasses import field
from functools import lru_cache
from typing import Iterable, Iterator, Mapping

from composelint.analysis.commands.tables import INSTALLERS, SHELLS
from composelint.analysis.gitignore import gitignored  # noqa: F401  (rules import it from here)
from composelint.imageref import parse_image_ref
from composelint.analysis.mounts import Mount, mounts_of  # noqa: F401  (the overlay lives there)
from composelint.diagnostics import Position, Related, Span
from composelint.model import (Deployment, Dockerfile, EffectiveCommand, Instruction, Service, Stage)
from composelint.records import record
from composelint.suggest import closest_name
from composelint.assembly.linking import built_stages
from composelint.textnumbers import decimal_value

PRESENT, ABSENT, UNKNOWN = "present", "absent", "unknown"
DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
SKIP_DIRS = frozenset((".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".composelint_cache",
                       ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"))
MAX_CHAIN = 64  # stages followed through FROM / COPY --from
MAX_STAGE_HOPS = 8  # COPY --from followed by one query
_ARCHIVE = re.compile(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|gz|bz2|xz)\Z", re.IGNORECASE)
_URL = re.compile(r"^(?:https?://|git@|git://|ssh://|github\.com/)", re.IGNORECASE)
_GLOB = re.compile(r"[*?\[]")


def _norm(path: str) -> str:
    """posixpath.normpath, but a leading `//` is `/` (as Docker treats it)."""
    normalized = posixpath.normpath(path)
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    return normalized


# --------------------------------------------------------------------------- the base-image table


@record(frozen=True)
class Table:
    tracked: frozenset
    runtimes: frozenset
    system_paths: tuple[str, ...]
    userlands: Mapping[str, dict]
    images: Mapping[str, dict]
    packages: Mapping[str, dict]
    python_scripts: frozenset
    hints: Mapping[str, dict]


@lru_cache(maxsize=1)
def table() -> Table:
    """The packaged base-image table, loaded once."""
    from composelint.datafiles import load

    data = load("base-images.yaml")  # its JSON twin when current: no YAML parser to import
    return Table(
        tracked=frozenset(data["tracked"]),
        runtimes=frozenset(data["runtimes"]),
        system_paths=tuple(data["system-paths"]),
        userlands=data["userlands"],
        images=data["images"],
        packages=data["packages"],
        python_scripts=frozenset(data["python-scripts"]),
        hints=data["hints"],
    )


@record(frozen=True)
class BaseInfo:
    """The root image of a stage, as far as the table knows it."""

    ref: str
    kind: str  # "scratch" | "known" | "unknown"
    family: str | None = None
    userland: str | None = None
    provides: frozenset = frozenset()
    uncertain: frozenset = frozenset()
    closed: bool = False  # nothing exists that is not provided (scratch, distroless)
    userland_known: bool = False
    workdir: str | None = None
    workdir_known: bool = False  # True with workdir None: the image sets no WORKDIR
    entrypoint: object = None  # "none" | "exec" | "node" | tuple | None (unknown)
    paths: tuple[str, ...] = ()
    package_manager: str | None = None
    version: int | None = None

    @property
    def known(self) -> bool:
        return self.kind in ("scratch", "known")

    def program(self, name: str) -> str:
        if self.kind == "unknown":
            return UNKNOWN
        if name in self.provides or any("*" in pattern and fnmatch.fnmatchcase(name, pattern)
                                         for pattern in self.provides):
            return PRESENT
        if name in self.uncertain:
            return UNKNOWN
        if self.closed:
            return ABSENT
        if not self.userland_known or name not in table().tracked:
            return UNKNOWN
        return ABSENT

    def describe(self) -> str:
        return "`scratch` (an empty image)" if self.kind == "scratch" else f"`{self.ref}`"


def _version(tag: str, latest: object) -> int | None:
    match = re.match(r"v?(\d+)", tag)
    if match:
        return decimal_value(match.group(1))
    if latest is not None and not re.search(r"\d", tag.split("-")[0] if tag else ""):
        word = tag.split("-")[0] if tag else "latest"
        if word in ("", "latest", "slim", "alpine", "bookworm", "bullseye", "trixie", "buster", "jammy",
                    "noble", "focal"):
            return int(latest)
    return None


def _userland(name: str) -> tuple[frozenset, frozenset, bool, bool, str | None]:
    """provides, uncertain, closed, known, package manager of a userland (with `extends`)."""
    lands = table().userlands
    provides: set[str] = set()
    uncertain: set[str] = set()
    closed = False
    known = True
    manager = None
    current: str | None = name
    seen = set()
    while current and current not in seen and current in lands:
        seen.add(current)
        entry = lands[current] or {}
        provides.update(entry.get("provides") or ())
        uncertain.update(entry.get("uncertain") or ())
        closed = closed or bool(entry.get("closed"))
        if entry.get("unknown"):
            known = False
        manager = manager or entry.get("package-manager")
        current = entry.get("extends")
    if name not in lands:
        known = False
    return frozenset(provides), frozenset(uncertain), closed, known, manager


def base_info(text: str) -> BaseInfo:
    """What the table says about an image reference (``FROM`` text, compose ``image:``)."""
    ref = parse_image_ref(text)
    name, tag = ref.short, ref.tag or ""
    if name == "scratch":
        return BaseInfo(text, "scratch", "scratch", "scratch", closed=True, userland_known=True, workdir=None,
                        workdir_known=True, entrypoint="none")
    if not name or "$" in name:
        return BaseInfo(text, "unknown")
    images = table().images
    entry = images.get(name)
    family = name
    if entry is None:
        for key in images:
            if "/" in key and name.startswith(key + "-"):
                entry, family = images[key], key
                break
    if entry is None:
        return BaseInfo(text, "unknown")
    version = _version(tag, entry.get("latest"))
    provides = set(entry.get("provides") or ())
    uncertain: set[str] = set()
    for rule in entry.get("versions") or ():
        programs = set(rule.get("programs") or ())
        if version is None or "$" in tag:
            uncertain |= programs
            continue
        ok = True
        if "below" in rule and not version < int(rule["below"]):
            ok = False
        if "from" in rule and not version >= int(rule["from"]):
            ok = False
        if ok:
            provides |= programs
    userland_map = entry.get("userland") or {}
    userland_name = userland_map.get("default", "unknown")
    words = [word for word in re.split(r"[-_.]", tag.lower()) if word] if tag else []
    if "$" in tag:
        userland_name = "unknown"
    else:
        for word in words:
            hit = next((value for key, value in userland_map.items() if key != "default" and word.startswith(key)),
                       None)
            if hit is not None:
                userland_name = hit
                break
    land_provides, land_uncertain, closed, land_known, manager = _userland(userland_name)
    provides |= land_provides
    uncertain |= land_uncertain
    workdir_value = entry.get("workdir", "unknown")
    if workdir_value == "none":
        workdir, workdir_known = None, True
    elif workdir_value == "unknown" or workdir_value is None:
        workdir, workdir_known = None, False
    else:
        workdir, workdir_known = str(workdir_value), True
    entrypoint = entry.get("entrypoint")
    if isinstance(entrypoint, list):
        entrypoint = tuple(entrypoint)
    return BaseInfo(text, "known", family, userland_name, frozenset(provides), frozenset(uncertain - provides),
                    closed, land_known, workdir, workdir_known, entrypoint, tuple(entry.get("paths") or ()),
                    manager, version)


def is_system_path(path: str, base: BaseInfo | None = None) -> bool:
    """Whether a path lies where images keep their own files (never reported missing)."""
    prefixes = table().system_paths + (base.paths if base is not None else ())
    for prefix in prefixes:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            return True
    parts = path.split("/")
    # Dot-directories of home directories (~/.local, ~/.cache) are filled by tools.
    if len(parts) > 2 and parts[1] in ("root", "home") and any(part.startswith(".") for part in parts[2:]):
        return True
    return False


def package_provides(manager: str, package: str) -> tuple[frozenset, frozenset] | None:
    """(provides, uncertain) of a package, or None when the table does not know it."""
    packages = table().packages.get(manager) or {}
    entry = packages.get(package)
    if entry is None:
        for key, value in packages.items():
            if "*" in key and fnmatch.fnmatchcase(package, key):
                entry = value
                break
    if entry is None:
        return None
    if isinstance(entry, list):
        return frozenset(entry), frozenset()
    return frozenset(entry.get("provides") or ()), frozenset(entry.get("uncertain") or ())


def hint(program: str) -> dict:
    return dict(table().hints.get(program) or {})


# --------------------------------------------------------------------------- the build context


def _sorted_files(project) -> list[str]:
    return project.derived("image.sorted_files", lambda p: sorted(p.files))


def _segment_regex(segment: str) -> re.Pattern[str] | None:
    """Go's filepath.Match for one path segment, as a regex; None when malformed."""
    out = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        elif char == "[":
            close = segment.find("]", i + 2)
            if close < 0:
                return None
            body = segment[i + 1:close]
            negate = body.startswith("^") or body.startswith("!")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return None


class Context:
    """The files a build context sends to the builder (``.dockerignore`` applied)."""

    def __init__(self, project, path: str | None, ignore) -> None:
        from composelint.parsers.dockerignore import IgnoreMatcher

        self.project = project
        self.path = path  # project-relative; "" is the root; None: not a local directory
        self.ignore = ignore
        self.matcher = IgnoreMatcher(ignore)
        self._names: tuple[frozenset, frozenset] | None = None
        self._by_name: dict[str, list[str]] | None = None  # file name -> context paths (excluded ones too)
        self._dirs: dict[str, str] | None = None  # directory name -> its shallowest context path
        self._globs: dict[str, list[tuple[str, str]] | None] = {}

    def _index(self) -> None:
        by_name: dict[str, list[str]] = {}
        dirs: dict[str, str] = {}
        if self.path is not None:
            prefix = self.full("") + "/" if self.path else ""
            files = _sorted_files(self.project)
            index = bisect.bisect_left(files, prefix) if prefix else 0
            while index < len(files) and (not prefix or files[index].startswith(prefix)):
                rel = files[index][len(prefix):]
                index += 1
                parts = rel.split("/")
                by_name.setdefault(parts[-1], []).append(rel)
                for depth, part in enumerate(parts[:-1]):
                    path = "/".join(parts[:depth + 1])
                    known = dirs.get(part)
                    if known is None or path.count("/") < known.count("/"):
                        dirs[part] = path
        self._by_name, self._dirs = by_name, dirs

    def named(self, name: str) -> list[str]:
        """Context paths of files called ``name``, excluded ones included."""
        if self._by_name is None:
            self._index()
        return self._by_name.get(name, [])  # type: ignore[union-attr]

    def directory_named(self, name: str) -> str | None:
        if self._dirs is None:
            self._index()
        return self._dirs.get(name)  # type: ignore[union-attr]

    @property
    def known(self) -> bool:
        return self.path is not None

    def full(self, rel: str) -> str:
        rel = rel.strip("/")
        if not self.path:
            return rel
        return f"{self.path}/{rel}" if rel else self.path

    def excluded_by(self, rel: str):
        """The .dockerignore pattern that leaves ``rel`` out, if any."""
        if self.ignore is None or not rel:
            return None
        return self.matcher.deciding_pattern(rel)

    def kind(self, rel: str) -> str | None:
        """"file", "dir", "unknown" (exists but cannot be listed) or None for a context-relative path."""
        if self.path is None:
            return "unknown"
        rel = _clean_rel(rel)
        if rel is None:
            return "unknown"
        if rel == "":
            return "dir"
        if any(part in SKIP_DIRS for part in rel.split("/")):
            return "unknown"
        files = _sorted_files(self.project)
        full = self.full(rel)
        if full in self.project.files:
            return None if self.matcher.is_excluded(rel) else "file"
        prefix = full + "/"
        first = index = bisect.bisect_left(files, prefix)
        found_any = False
        strip = len(self.path) + 1 if self.path else 0
        while index < len(files) and files[index].startswith(prefix):
            found_any = True
            if self.ignore is None or not self.matcher.is_excluded(files[index][strip:]):
                return "dir"
            index += 1
            if index - first > 10_000:
                return "unknown"
        if found_any:
            return None
        if self.project.path_exists(full):
            return None if self.matcher.is_excluded(rel) else "unknown"
        return None

    def glob(self, pattern: str, limit: int = 10_000) -> list[tuple[str, str]] | None:
        """Context paths (files and directories) a COPY wildcard matches; None when it cannot tell."""
        if pattern not in self._globs:
            self._globs[pattern] = self._glob(pattern, limit)
        return self._globs[pattern]

    def _glob(self, pattern: str, limit: int) -> list[tuple[str, str]] | None:
        if self.path is None:
            return None
        clean = _clean_rel(pattern)
        if clean is None:
            return None
        segments = clean.split("/")
        literal: list[str] = []
        for segment in segments:
            if _GLOB.search(segment):
                break
            literal.append(segment)
        if len(literal) == len(segments):
            kind = self.kind(clean)
            return [(clean, kind)] if kind else []
        regexes = [_segment_regex(segment) for segment in segments[len(literal):]]
        if any(regex is None for regex in regexes):
            return None
        base_rel = "/".join(literal)
        base_full = self.full(base_rel)
        prefix = base_full + "/" if base_full else ""
        files = _sorted_files(self.project)
        index = bisect.bisect_left(files, prefix) if prefix else 0
        depth = len(segments)
        strip = len(self.full("")) + 1 if self.path else 0
        seen: dict[str, str] = {}
        unknown = False
        scanned = 0
        while index < len(files) and (not prefix or files[index].startswith(prefix)):
            scanned += 1
            if scanned > limit:
                return None
            rel = files[index][strip:]
            index += 1
            parts = rel.split("/")
            if len(parts) < depth:
                continue
            candidate = "/".join(parts[:depth])
            if candidate in seen:
                continue
            if all(regex.match(part) for regex, part in zip(regexes, parts[len(literal):depth])):
                if any(part in SKIP_DIRS for part in parts[:depth]):
                    unknown = True
                    continue
                seen[candidate] = "file" if len(parts) == depth else "dir"
        result = [(rel, kind) for rel, kind in seen.items()
                  if not (kind == "file" and self.matcher.is_excluded(rel))]
        if not result and unknown:
            return None
        return result

    def basenames(self) -> tuple[frozenset, frozenset]:
        """Names of the context's files and directories (for "is this the user's own module")."""
        if self._names is None:
            if self._by_name is None:
                self._index()
            self._names = (frozenset(self._by_name or ()), frozenset(self._dirs or ()))
        return self._names

    def find_basename(self, name: str, limit: int = 5) -> list[str]:
        """Context-relative paths of files called ``name`` (not excluded)."""
        found = [rel for rel in self.named(name) if not self.matcher.is_excluded(rel)]
        return found[:limit]


def _clean_rel(path: str) -> str | None:
    """A COPY source as a context-relative path (BuildKit clamps `..` at the context root)."""
    if "\x00" in path:
        return None
    cleaned = _norm("/" + path).lstrip("/")
    return "" if cleaned == "." else cleaned


# --------------------------------------------------------------------------- RUN instructions

_HARMLESS = frozenset((
    "mkdir", "chown", "chmod", "chgrp", "rm", "rmdir", "useradd", "adduser", "addgroup", "groupadd", "usermod",
    "groupmod", "userdel", "deluser", "delgroup", "echo", "printf", "true", "false", "set", "export", "unset",
    "test", "[", "ls", "cat", "id", "whoami", "sleep", "update-ca-certificates", "locale-gen",
    "dpkg-reconfigure", "ldconfig", "grep", "ulimit", "umask", ":", "wait", "trap", "exit", "which", "type",
    "hash", "env", "printenv", "date", "uname", "pwd", "du", "df", "sync", "update-alternatives", "passwd",
    "chpasswd", "apt-key", "debconf-set-selections", "localedef", "ln", "find", "sed", "touch",
))
# Tools that write where they run or where their arguments say (files), but install no programs
# except where those arguments point.
_LOCAL = frozenset((
    "go", "cargo", "mvn", "mvnw", "gradle", "gradlew", "dotnet", "javac", "jar", "java", "tsc", "node",
    "npm", "yarn", "pnpm", "bun", "npx", "deno", "python", "python3", "git", "curl", "wget", "tar", "unzip",
    "gunzip", "gzip", "bunzip2", "xz", "cp", "mv", "install", "tee", "awk", "gawk", "sort", "cut", "tr", "head",
    "tail", "openssl", "ssh-keygen", "base64", "sha256sum", "md5sum", "sha1sum", "composer", "bundle", "gem",
    "rake", "rails", "ng", "vite", "webpack", "next", "nuxt", "manage.py", "django-admin", "collectstatic",
    "flask", "alembic", "prisma", "protoc", "gcc", "g++", "cc", "c++", "strip", "upx", "jlink", "jdeps",
    "dos2unix", "envsubst", "patch", "diff", "cmake", "ninja", "meson", "tofu", "yq", "jq", "xargs",
))
_PIP_LOCAL_FLAGS = ("-e", "--editable", "-t", "--target", "--prefix", "--root", "--src")


@record
class RunInfo:
    text: str  # arguments and heredoc bodies: what the RUN mentions
    effect: str = "none"  # "none" | "local" | "opaque" (for files)
    packages: list[tuple[str, str]] = field(default_factory=list)  # (manager, package)
    unknown_packages: bool = False
    pip: bool = False
    pip_local: bool = False  # `pip install .`, -e, poetry/uv/pipenv installs: scripts and modules unknown
    npm_global: bool = False
    programs_unknown: bool = False  # a tool that may install any program
    provides_unknown: set[str] = field(default_factory=set)
    slash_argument: bool = False  # an argument that is exactly "/" (tar -C /, cp -r x /)
    write_dirs: set = field(default_factory=set)  # where commands write implicitly; None: the WORKDIR


def _bump(info: RunInfo, effect: str) -> None:
    order = {"none": 0, "local": 1, "opaque": 2}
    if order[effect] > order[info.effect]:
        info.effect = effect


# Commands that, given only absolute paths, write nowhere near the working directory.
_ABSOLUTE_ONLY = frozenset(("cp", "mv", "ln", "touch", "install", "tee", "sed", "mkdir", "rm", "chmod", "chown",
                            "cat", "echo", "printf", "python", "python3", "find", "rsync"))


def _writes_cwd(name: str, argv: list[str]) -> bool | None:
    """For download and unpack tools: whether they write into the working directory (None: not one)."""
    args = argv[1:]

    def value(*options: str) -> str | None:
        for index, word in enumerate(args):
            for option in options:
                if word == option and index + 1 < len(args):
                    return args[index + 1]
                if option.startswith("--") and word.startswith(option + "="):
                    return word.split("=", 1)[1]
                if not option.startswith("--") and word.startswith(option) and len(word) > len(option):
                    return word[len(option):]
        return None

    if name == "curl":
        output = value("-o", "--output")
        if output is not None:
            return not output.startswith("/") and output != "-"
        return any(word in ("--remote-name", "--remote-name-all") or
                   (word.startswith("-") and not word.startswith("--") and "O" in word) for word in args)
    if name == "wget":
        output = value("-O", "--output-document")
        if output is not None:
            return not output.startswith("/") and output != "-"
        prefix = value("-P", "--directory-prefix")
        return prefix is None or not prefix.startswith("/")
    if name == "git":
        if not args or args[0] != "clone":
            return args[:1] not in (["config"], ["--version"])
        positional = [word for word in args[1:] if not word.startswith("-")]
        return not (len(positional) >= 2 and positional[-1].startswith("/"))
    if name == "tar":
        directory = value("-C", "--directory")
        return directory is None or not directory.startswith("/")
    if name == "unzip":
        directory = value("-d")
        return directory is None or not directory.startswith("/")
    return None


def classify_run(instruction: Instruction, env: Mapping[str, str] | None = None, depth: int = 0) -> RunInfo:
    """What a RUN instruction may change: packages, pip installs, where it writes (see RunInfo)."""
    from composelint.parsers.dockerfile import substitute

    bodies = "\n".join(heredoc.body for heredoc in instruction.heredocs)
    raw = instruction.arguments + ("\n" + bodies if bodies else "")
    expanded = substitute(raw, env, keep_quotes=True) if env and "$" in raw else raw
    info = RunInfo(raw if expanded == raw else raw + "\n" + expanded)
    if instruction.form == "exec" and instruction.exec_args is not None:
        _classify_argv(list(instruction.exec_args), info, depth, False, None)
        return info
    arguments = substitute(instruction.arguments, env, keep_quotes=True) if env and "$" in instruction.arguments \
        else instruction.arguments
    scripts = [arguments]
    if instruction.heredocs:
        head = arguments.split()[:2]
        first = head[0] if head else ""
        shells = SHELLS | {"/bin/sh", "/bin/bash"}
        if first.startswith("<<") or (first in shells and len(head) > 1 and head[1].startswith("<<")):
            scripts = [heredoc.body for heredoc in instruction.heredocs]
        elif "<<" in arguments and posixpath.basename(first) not in shells:
            # `RUN python3 <<EOF`: the body is another language's program
            _bump(info, "opaque")
            info.programs_unknown = True
    for script in scripts:
        _classify_script(script, info, depth)
    return info


def _classify_script(script: str, info: RunInfo, depth: int) -> None:
    from composelint.analysis.commands.directories import Directories
    from composelint.analysis.commands.syntax import parse_script

    parsed = parse_script(script)
    if not parsed.complete:
        _bump(info, "opaque")
        info.programs_unknown = True
    def change(cwd: str | None, target) -> str | None:
        if target.text.startswith("/") and target.literal:
            return _norm(target.text)
        if target.text.startswith("$"):
            return "?"
        return _norm(posixpath.join(cwd, target.text)) if cwd is not None else None

    # None: the instruction's WORKDIR (or a directory below it); "?": unknown
    directories = Directories(None, change, "?")
    for command in parsed.commands:
        moved = directories.follow(command.words, command.subshell, command.in_function)
        cwd = directories.previous if moved else directories.current  # `cd x > log` writes log before it moves
        targets = [r.target for r in command.redirects
                   if r.operator in (">", ">>", ">|", "&>", "&>>") and r.target is not None
                   and r.target.text not in ("/dev/null", "/dev/stderr", "/dev/stdout")]
        writes = bool(targets)
        if any(not (target.literal and target.text.startswith("/")) for target in targets):
            _bump(info, "local")
            info.write_dirs.add(cwd)  # `> out.txt`: a file in the working directory
        argv = [word.text for word in command.words]
        if not argv or moved:
            continue
        if command.piped and posixpath.basename(argv[0]) in SHELLS \
                and not any(a.startswith("-") and "c" in a for a in argv[1:2]):
            _bump(info, "opaque")  # curl … | sh
            info.programs_unknown = True
            continue
        _classify_argv(argv, info, depth, writes, cwd)


def _local(info: RunInfo, argv: list[str], cwd: str | None) -> None:
    """A command that writes files: in its working directory unless all its paths are absolute."""
    _bump(info, "local")
    name = posixpath.basename(argv[0])
    downloads = _writes_cwd(name, argv)
    if downloads is not None:
        if downloads:
            info.write_dirs.add(cwd)
        return
    operands = [word for word in argv[1:] if not word.startswith("-")]
    if name in _ABSOLUTE_ONLY and operands and all(word.startswith("/") or "://" in word or
                                                   re.fullmatch(r"[0-7]{3,4}|[\w.-]+:[\w.-]+", word)
                                                   for word in operands):
        return
    info.write_dirs.add(cwd)


def _classify_argv(argv: list[str], info: RunInfo, depth: int, has_write_redirect: bool,
                   cwd: str | None) -> None:
    from composelint.analysis.commands.tables import wrapped_program

    # Look through wrappers that do not change what runs.
    while argv:
        name = posixpath.basename(argv[0])
        if name == "env":
            rest = argv[1:]
            while rest and (rest[0].startswith("-") or "=" in rest[0]):
                rest = rest[1:]
            argv = rest
            continue
        wrapped = wrapped_program(name, argv, 0, "run")
        if wrapped is None:
            break
        argv = argv[wrapped[0]:]
    if not argv:
        return
    if any(word == "/" for word in argv[1:]):
        info.slash_argument = True
    name = posixpath.basename(argv[0])
    if name in SHELLS:
        script = None
        for index, word in enumerate(argv[1:], 1):
            if word.startswith("-") and "c" in word[1:] and index + 1 < len(argv):
                script = argv[index + 1]
                break
        if script is not None and depth < 3:
            _classify_script(script, info, depth + 1)
            return
        _bump(info, "opaque")
        info.programs_unknown = True
        return
    if name in ("cd", "pushd", "popd"):
        return
    installer = INSTALLERS.get(name)
    if installer is not None and installer.database is not None:
        _packages(installer, argv, info)
        return
    if name in ("pip", "pip3") or re.fullmatch(r"pip3\.\d+", name):
        _pip(argv[1:], info, cwd)
        return
    if re.fullmatch(r"(?:python|pypy)(?:[23](?:\.\d+)?)?", name) and len(argv) > 2 and argv[1] == "-m":
        module = argv[2]
        if module == "pip":
            _pip(argv[3:], info, cwd)
            return
        if module == "ensurepip":
            info.provides_unknown.update(("pip", "pip3"))
            return
        if module in ("venv", "virtualenv", "compileall"):
            _local(info, [argv[0]] + argv[3:], cwd)
            return
        _local(info, argv, cwd)
        return
    if name == "uv" and len(argv) > 1:
        if argv[1] == "pip" and len(argv) > 2 and argv[2] == "install":
            _pip(argv[2:], info, cwd)
            return
        if argv[1] in ("sync", "add", "install", "tool", "venv"):
            info.pip_local = True
            _local(info, argv, cwd)
            return
    if name in ("poetry", "pipenv", "pdm", "pip-sync", "conda", "mamba", "micromamba", "pipx", "hatch", "rye"):
        info.pip_local = True
        _local(info, argv, cwd)
        if name in ("conda", "mamba", "micromamba", "pipx"):
            info.programs_unknown = True
        return
    if name in ("npm", "yarn", "pnpm", "bun") and len(argv) > 1:
        if any(word in ("-g", "--global", "--location=global") for word in argv) or \
                (name == "yarn" and argv[1] == "global"):
            info.npm_global = True
            return
    if name == "corepack":
        info.npm_global = True
        return
    if name in ("setup.py",) or (re.fullmatch(r"python[\d.]*", name) and "setup.py" in argv[1:2]):
        info.pip_local = True
        _local(info, argv, cwd)
        return
    if name in _HARMLESS and has_write_redirect and name in ("echo", "printf", "cat", "printenv", "env", "date"):
        _bump(info, "local")  # it writes where its redirection says (mentioned in the text)
        return
    if name in _HARMLESS and not has_write_redirect:
        if name == "find" and any(word in ("-exec", "-execdir", "-ok") for word in argv):
            _local(info, argv, cwd)
        elif name == "ln" or name == "touch" or (name == "sed" and any(
                word.startswith("-i") or word == "--in-place" for word in argv)):
            _local(info, argv, cwd)
        return
    if name in ("make", "eval", "source", ".", "su", "runuser", "cmake-install", "xargs") or "/" in argv[0] \
            and posixpath.basename(argv[0]) not in _LOCAL and not argv[0].startswith(("/usr/", "/bin/")):
        _bump(info, "opaque")
        info.programs_unknown = True
        return
    if name in _LOCAL or name in _HARMLESS:
        _local(info, argv, cwd)
        if name in ("go", "cargo", "gem", "dotnet", "composer", "bundle", "deno", "bun") and \
                any(word in ("install", "global", "tool", "binstubs") for word in argv[1:3]):
            info.programs_unknown = True  # `go install`, `cargo install`: programs on PATH
        return
    # An unknown tool: it writes somewhere and may install programs (rustup, sdkman, nvm …).
    _local(info, argv, cwd)
    info.programs_unknown = True


def _packages(installer, argv: list[str], info: RunInfo) -> None:
    """A system package manager's install: (database, package) for each package it names."""
    manager = installer.database
    words = argv[1:]
    install_words = installer.verbs
    takes = installer.value_options
    index = 0
    while index < len(words) and words[index].startswith("-"):
        index += 2 if words[index] in takes else 1
    if index >= len(words) or words[index] not in install_words:
        return  # update, upgrade, clean, del …
    index += 1
    while index < len(words):
        word = words[index]
        if word.startswith("-"):
            index += 2 if word in takes else 1
            continue
        name = re.split(r"[=<>~@]", word, maxsplit=1)[0]
        if manager == "apt":
            name = name.split("/", 1)[0]
        if not name or "$" in word or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9+._:*-]*", name):
            info.unknown_packages = True
        else:
            info.packages.append((manager, name))
        index += 1


def _pip(words: list[str], info: RunInfo, cwd: str | None = None) -> None:
    index = 0
    while index < len(words) and words[index].startswith("-"):
        index += 1
    if index >= len(words) or words[index] != "install":
        return
    info.pip = True
    rest = words[index + 1:]
    skip_next = False
    for word in rest:
        if skip_next:
            skip_next = False
            continue
        if word in ("-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f",
                    "--find-links", "--trusted-host", "--platform", "--python-version", "--only-binary",
                    "--no-binary", "--progress-bar", "--cache-dir", "--log"):
            skip_next = True
            continue
        if word in _PIP_LOCAL_FLAGS or any(word.startswith(flag + "=") for flag in _PIP_LOCAL_FLAGS if
                                            flag.startswith("--")):
            info.pip_local = True
            continue
        if word.startswith("-"):
            continue
        if word in (".", "..") or word.startswith(("./", "../", "/", "file:", "git+")) or word.endswith(
                (".whl", ".tar.gz", ".zip")):
            info.pip_local = True
    if info.pip_local:
        _local(info, ["pip"] + words, cwd)


_END = r"(?=$|[\s'\";&|()<>`,\]=])"


def _mentions(text: str, path: str) -> bool:
    """Whether ``text`` names ``path`` itself (``/app``, ``/app/``, ``/app/.``, ``/app/*``), not a longer path."""
    pattern = r"(?<![\w.\-/~$])" + re.escape(path.rstrip("/")) + r"(?:/(?:\.|\*)?)?" + _END
    return re.search(pattern, text) is not None


def _mentions_name(text: str, name: str) -> bool:
    """Whether ``text`` has a word or a path ending in ``name`` (``main.py``, ``build/main.py``)."""
    if not name:
        return False
    pattern = r"(?<![\w.\-])" + re.escape(name) + _END
    return re.search(pattern, text) is not None


# --------------------------------------------------------------------------- stages


@record
class Op:
    kind: str  # "copy" | "copy-stage" | "copy-image" | "add-remote" | "add-archive" | "heredoc" | "run" | "workdir"
    instruction: Instruction
    workdir: str | None  # absolute; None: no WORKDIR set (the working directory is "/")
    workdir_unknown: bool = False
    dest: str | None = None  # absolute, normalised; None when not known
    dest_is_dir: bool = False
    sources: list[str] = field(default_factory=list)
    source_stage_index: int | None = None
    run: RunInfo | None = None
    parents: bool = False
    user: str | None = None  # the USER in force (None: the base image's, usually root)

    def cwd(self) -> str | None:
        return None if self.workdir_unknown else (self.workdir or "/")


@record(frozen=True)
class Lookup:
    state: str  # PRESENT | ABSENT | UNKNOWN
    op: Op | None = None  # the instruction that provides it (present) or makes it unknown
    context_path: str | None = None  # the build-context file it comes from, when copied
    why: str = ""
    mount: object | None = None


class ImageModel:
    """One Dockerfile stage (with the stages it builds FROM) in one build context."""

    def __init__(self, project, dockerfile: Dockerfile, stage: Stage, context: Context,
                 args: Mapping[str, str] | None = None, _depth: int = 0) -> None:
        from composelint.assembly.linking import stage_chain

        self.project = project
        self.dockerfile = dockerfile
        self.stage = stage
        self.context = context
        self.args = dict(args or {})
        self.depth = _depth
        chain = stage_chain(dockerfile, stage) if _depth < MAX_CHAIN else [stage]
        self.chain = list(reversed(chain))  # root first
        root = self.chain[0]
        self.root = root
        self.base = base_info(self._base_text(root))
        self.ops: list[Op] = []
        self.workdir: str | None = self.base.workdir
        self.workdir_known = self.base.workdir_known  # whether the value (or its absence) is known
        self.workdir_instruction: Instruction | None = None
        self.workdir_set_in_build = False
        self.relative_workdir: Instruction | None = None  # a relative WORKDIR before any absolute one
        self.env: dict[str, str] = {}
        self.user: str | None = None
        self._stage_models: dict[int, ImageModel] = {}
        self._build()

    # ----------------------------------------------------------------- building

    def _base_text(self, root: Stage) -> str:
        if not self.args or "$" not in root.base.value:
            return root.base_resolved
        from composelint.parsers.dockerfile import _arg_defaults, substitute

        values = _arg_defaults(self.dockerfile.global_args, self.dockerfile.escape)
        for name in values:
            if name in self.args:
                values[name] = self.args[name]
        return substitute(root.base.value, values, escape=self.dockerfile.escape)

    def _build(self) -> None:
        from composelint.parsers.dockerfile import _arg_defaults, _arg_pairs, _env_pairs, substitute

        escape = self.dockerfile.escape
        global_defaults = _arg_defaults(self.dockerfile.global_args, escape)
        env: dict[str, str] = {}
        unknown_workdir = not self.base.workdir_known
        workdir = self.base.workdir
        for stage in self.chain:
            args: dict[str, str] = {}
            for instruction in stage.instructions:
                keyword = instruction.keyword
                lookup = {**args, **env}
                if keyword == "ARG":
                    for key, default in _arg_pairs(instruction.arguments, escape):
                        if key in self.args:
                            args[key] = self.args[key]
                        elif default is not None:
                            args[key] = substitute(default, lookup, escape=escape)
                        elif key in global_defaults:
                            args[key] = global_defaults[key]
                elif keyword == "ENV":
                    for key, value in _env_pairs(instruction.arguments, escape):
                        env[substitute(key, lookup, escape=escape)] = substitute(value, lookup, escape=escape)
                elif keyword == "USER":
                    self.user = instruction.arguments.strip()
                elif keyword == "WORKDIR":
                    raw = instruction.arguments.strip()
                    value = _expand_known(raw, lookup, escape)
                    if value is None:
                        unknown_workdir = True
                        self.workdir_set_in_build = True
                    else:
                        if not value.startswith("/"):
                            if workdir is None and not self.workdir_set_in_build and self.relative_workdir is None \
                                    and self.base.workdir_known:
                                self.relative_workdir = instruction
                            if unknown_workdir:
                                value = None
                            else:
                                value = _norm(posixpath.join(workdir or "/", value))
                        else:
                            value = _norm(value)
                            unknown_workdir = False
                        if value is not None:
                            workdir = value
                            unknown_workdir = False
                        self.workdir_set_in_build = True
                    self.workdir_instruction = instruction
                    self.ops.append(Op("workdir", instruction, workdir, unknown_workdir))
                elif keyword in ("COPY", "ADD"):
                    self.ops.append(self._copy(instruction, workdir, unknown_workdir, lookup))
                    self.ops[-1].user = self.user
                elif keyword == "RUN":
                    self.ops.append(Op("run", instruction, workdir, unknown_workdir,
                                       run=classify_run(instruction, lookup), user=self.user))
        self.env = env
        self.workdir = workdir
        self.workdir_known = not unknown_workdir
        if unknown_workdir:
            self.workdir = None

    def _copy(self, instruction: Instruction, workdir: str | None, workdir_unknown: bool,
              env: Mapping[str, str]) -> Op:
        words = instruction.copy_words
        escape = self.dockerfile.escape
        expanded = [_expand_known(text, env, escape) for text, _ in words]
        if instruction.heredocs or any(text.startswith("<<") for text, _ in words):
            dest = expanded[-1] if expanded else None
            return Op("heredoc", instruction, workdir, workdir_unknown,
                      dest=_absolute(dest, workdir, workdir_unknown), dest_is_dir=bool(dest and dest.endswith("/")))
        if len(words) < 2:
            return Op("copy-image", instruction, workdir, workdir_unknown, dest=None)
        sources, dest = expanded[:-1], expanded[-1]
        dest_abs = _absolute(dest, workdir, workdir_unknown)
        dest_is_dir = bool(dest and (dest.endswith("/") or dest.endswith("/.") or dest in (".", "..")))
        dest_is_dir = dest_is_dir or len(sources) > 1
        source_flag = instruction.flag("from")
        parents = instruction.flag("parents") is not None
        if source_flag is not None:
            value = _expand_known(source_flag.value or "", env, escape) or ""
            index = self._stage_index(value)
            if index is not None and all(source is not None for source in sources):
                return Op("copy-stage", instruction, workdir, workdir_unknown, dest_abs, dest_is_dir,
                          [s for s in sources if s is not None], index, parents=parents)
            return Op("copy-image", instruction, workdir, workdir_unknown, dest_abs, dest_is_dir)
        if any(source is None for source in sources):
            return Op("copy-image", instruction, workdir, workdir_unknown, dest_abs, dest_is_dir)
        if instruction.keyword == "ADD":
            if any(_URL.match(source) for source in sources):
                return Op("add-remote", instruction, workdir, workdir_unknown, dest_abs, dest_is_dir)
            if any(_ARCHIVE.search(source) for source in sources):
                return Op("add-archive", instruction, workdir, workdir_unknown, dest_abs, dest_is_dir)
        return Op("copy", instruction, workdir, workdir_unknown, dest_abs, dest_is_dir, list(sources),
                  parents=parents)

    def _stage_index(self, value: str) -> int | None:
        """The stage a ``--from`` names (by AS name or index), or None for an external image."""
        if not value:
            return None
        if value.isdigit():
            index = decimal_value(value)
            return index if index is not None and index < len(self.dockerfile.stages) and index != self.stage.index \
                else None
        wanted = value.lower()
        for candidate in self.dockerfile.stages:
            if candidate.name == wanted and candidate.index != self.stage.index:
                return candidate.index
        return None

    def source_model(self, op: Op) -> "ImageModel | None":
        """The model of the stage a ``COPY --from=<stage>`` reads (built on first use)."""
        if op.source_stage_index is None or self.depth >= MAX_CHAIN:
            return None
        stage = self.dockerfile.stages[op.source_stage_index]
        return model_for(self.project, self.dockerfile, stage, self.context, self.args, self.depth + 1)

    # ----------------------------------------------------------------- queries

    def lookup(self, path: str, *, want: str = "file", program_mode: bool = False,
               _depth: int = 0) -> Lookup:
        """Whether absolute ``path`` exists in the image (``want``: "file", "dir" or "any")."""
        path = _norm(path)
        if not path.startswith("/"):
            return Lookup(UNKNOWN, why="relative path")
        name = posixpath.basename(path)
        for op in reversed(self.ops):
            result = self._op_lookup(op, path, name, want, program_mode, _depth)
            if result is not None:
                return result
        if self.base.kind == "scratch":
            return Lookup(ABSENT, why="scratch")
        if self.base.kind == "unknown":
            return Lookup(UNKNOWN, why="unknown base")
        if is_system_path(path, self.base) or path == "/":
            return Lookup(UNKNOWN, why="system path")
        if self.base.workdir and (path == self.base.workdir or path.startswith(self.base.workdir + "/")):
            if path == self.base.workdir:
                return Lookup(PRESENT, why="the image's WORKDIR")
        return Lookup(ABSENT, why="not in base")

    def _op_lookup(self, op: Op, path: str, name: str, want: str, program_mode: bool,
                   depth: int) -> Lookup | None:
        kind = op.kind
        if kind == "workdir":
            if want != "file" and op.workdir and not op.workdir_unknown and \
                    (op.workdir == path or op.workdir.startswith(path.rstrip("/") + "/")):
                return Lookup(PRESENT, op, why="WORKDIR")
            return None
        if kind == "run":
            return self._run_lookup(op, path, name, program_mode)
        dest = op.dest
        if dest is None:
            return Lookup(UNKNOWN, op, why="destination not known")
        if want != "file" and (dest == path or dest.startswith(path.rstrip("/") + "/")) and kind != "heredoc":
            return Lookup(PRESENT, op, why="destination directory")
        if kind in ("copy-image", "add-remote", "add-archive"):
            if path == dest or path.startswith(dest.rstrip("/") + "/"):
                return Lookup(UNKNOWN, op, why="copied from elsewhere")
            return None
        if kind == "heredoc":
            if path == dest or (op.dest_is_dir and path.startswith(dest.rstrip("/") + "/")):
                return Lookup(PRESENT, op, why="heredoc")
            if path.startswith(dest.rstrip("/") + "/"):
                return Lookup(UNKNOWN, op)
            return None
        if kind == "copy-stage":
            return self._stage_copy_lookup(op, path, want, depth)
        return self._context_copy_lookup(op, path, want)

    def _run_lookup(self, op: Op, path: str, name: str, program_mode: bool) -> Lookup | None:
        run = op.run
        assert run is not None
        if run.effect == "opaque":
            return Lookup(UNKNOWN, op, why="opaque RUN")
        if program_mode and run.programs_unknown:
            return Lookup(UNKNOWN, op, why="RUN may install programs")
        if run.effect == "none":
            if not program_mode and (run.packages or run.unknown_packages or run.npm_global) and \
                    is_system_path(path, self.base):
                return Lookup(UNKNOWN, op, why="packages")
            return None
        text = run.text
        if _mentions(text, path) or _mentions_name(text, name):
            return Lookup(UNKNOWN, op, why="RUN mentions it")
        parent = posixpath.dirname(path)
        for _ in range(path.count("/")):
            if parent in ("/", ""):
                break
            if _mentions(text, parent):
                return Lookup(UNKNOWN, op, why="RUN mentions its directory")
            parent = posixpath.dirname(parent)
        if run.slash_argument:
            return Lookup(UNKNOWN, op, why="RUN writes to /")
        for directory in run.write_dirs:
            where = op.cwd() if directory is None else directory
            if where is None or where == "?":
                return Lookup(UNKNOWN, op, why="RUN in an unknown directory")
            if program_mode and where == "/":
                continue
            if where == "/" or path == where or path.startswith(where.rstrip("/") + "/"):
                return Lookup(UNKNOWN, op, why="RUN in a parent directory")
        return None

    def _context_copy_lookup(self, op: Op, path: str, want: str) -> Lookup | None:
        dest = op.dest
        assert dest is not None
        context = self.context
        inside = path.startswith(dest.rstrip("/") + "/") if dest != "/" else path != "/"
        rel = path[len(dest.rstrip("/")) + 1:] if inside else ""
        unknown = False
        for source in op.sources:
            candidates: list[tuple[str, str]] | None
            if _GLOB.search(source):
                candidates = context.glob(source)
                if candidates is None:
                    if inside or path == dest:
                        unknown = True
                    continue
            else:
                clean = _clean_rel(source)
                if clean is None:
                    unknown = True
                    continue
                kind = context.kind(clean)
                candidates = [(clean, kind)] if kind else []
            for source_rel, kind in candidates:
                if kind == "unknown":
                    if inside or path == dest:
                        unknown = True
                    continue
                if op.parents:
                    if inside:
                        target_kind = context.kind(rel) if (rel == source_rel or rel.startswith(
                            source_rel + "/") or source_rel == "") else None
                        if target_kind in ("file", "dir", "unknown"):
                            return self._found(op, target_kind, want, rel)
                    continue
                if kind == "dir":
                    if path == dest and want != "file":
                        return Lookup(PRESENT, op, source_rel, why="directory copied")
                    if inside:
                        inner = f"{source_rel}/{rel}" if source_rel else rel
                        target_kind = context.kind(inner)
                        if target_kind is not None:
                            return self._found(op, target_kind, want, inner)
                    continue
                # A file source: at dest itself, or inside dest when dest is (or may be) a directory.
                if path == dest and not op.dest_is_dir:
                    return self._found(op, "file", want, source_rel)
                if inside and rel == posixpath.basename(source_rel):
                    return self._found(op, "file", want, source_rel)
        if unknown:
            return Lookup(UNKNOWN, op, why="context not listed")
        return None

    @staticmethod
    def _found(op: Op, kind: str, want: str, context_path: str) -> Lookup:
        if kind == "unknown":
            return Lookup(UNKNOWN, op, context_path)
        if want == "file" and kind == "dir":
            return Lookup(ABSENT, op, context_path, why="a directory")
        if want == "dir" and kind == "file":
            return Lookup(ABSENT, op, context_path, why="a file")
        return Lookup(PRESENT, op, context_path)

    def _stage_copy_lookup(self, op: Op, path: str, want: str, depth: int) -> Lookup | None:
        dest = op.dest
        source_model = self.source_model(op)
        if dest is None or source_model is None or depth > MAX_STAGE_HOPS:
            return Lookup(UNKNOWN, op, why="copied from another stage")
        inside = path.startswith(dest.rstrip("/") + "/") if dest != "/" else path != "/"
        rel = path[len(dest.rstrip("/")) + 1:] if inside else ""
        best: Lookup | None = None
        for source in op.sources:
            if _GLOB.search(source):
                if inside or path == dest:
                    return Lookup(UNKNOWN, op, why="wildcard from another stage")
                continue
            source_abs = _norm("/" + source)
            queries: list[tuple[str, str]] = []
            if path == dest and not op.dest_is_dir:
                queries.append((source_abs, want))
            if inside:
                queries.append((posixpath.join(source_abs, rel) if source_abs != "/" else "/" + rel, want))
                if rel == posixpath.basename(source_abs):
                    queries.append((source_abs, want))
            for query, query_want in queries:
                found = source_model.lookup(query, want=query_want, _depth=depth + 1)
                if found.state == PRESENT:
                    return Lookup(PRESENT, op, found.context_path, why="copied from another stage")
                if found.state == UNKNOWN:
                    best = Lookup(UNKNOWN, op, why="copied from another stage")
        return best

    # ----------------------------------------------------------------- programs

    def path_dirs(self) -> list[str]:
        dirs = list(DEFAULT_PATH)
        value = self.env.get("PATH")
        if value:
            for item in value.split(":"):
                if item.startswith("/") and item not in dirs:
                    dirs.append(_norm(item))
        return dirs

    def program(self, name: str) -> tuple[str, str]:
        """(state, why) for a program name looked up on PATH."""
        if not name or "/" in name:
            return UNKNOWN, "a path"
        base_state = self.base.program(name)
        if base_state == PRESENT:
            return PRESENT, f"{self.base.describe()} ships it"
        runtimes = table().runtimes
        state = ABSENT if base_state == ABSENT else UNKNOWN
        why = "unknown base image" if self.base.kind == "unknown" else "uncertain"
        pip_seen = False
        for op in self.ops:
            run = op.run
            if run is None:
                continue
            if name in run.provides_unknown:
                return UNKNOWN, "installed by a RUN"
            for manager, package in run.packages:
                provided = package_provides(manager, package)
                if provided is None:
                    return UNKNOWN, f"package `{package}`"
                provides, uncertain = provided
                if name in provides:
                    return PRESENT, f"installed by `{package}`"
                if name in uncertain:
                    return UNKNOWN, f"package `{package}`"
            if run.unknown_packages:
                return UNKNOWN, "packages"
            if name not in runtimes:
                if run.pip_local or run.npm_global:
                    return UNKNOWN, "installed by a RUN"
                if run.pip:
                    pip_seen = True
        if name not in runtimes and name in table().python_scripts:
            pip_state = self._pip_script(name, pip_seen)
            if pip_state == PRESENT:
                return PRESENT, "pip"
            if pip_state == UNKNOWN:
                return UNKNOWN, "pip"
        elif pip_seen and name not in runtimes and self._pip_may_ship(name):
            return UNKNOWN, "pip"
        for directory in self.path_dirs():
            found = self.lookup(posixpath.join(directory, name), want="any", program_mode=True)
            if found.state == PRESENT:
                return PRESENT, "copied"
            if found.state == UNKNOWN and found.why not in ("system path", "unknown base"):
                return UNKNOWN, found.why
        return state, why

    def _pip_script(self, name: str, pip_seen: bool) -> str:
        """PRESENT / ABSENT / UNKNOWN for a console script of a pip-installed distribution."""
        install = self.python_install()
        if install is None:
            return UNKNOWN if pip_seen else ABSENT
        distributions, complete, scripts = install
        if name in scripts:
            return PRESENT
        # The program's own distribution installed but missing from the scripts table: not certain.
        own = {re.sub(r"[-_.]+", "-", candidate.lower()) for candidate in (name, hint(name).get("pip") or name)}
        if own & set(distributions):
            return UNKNOWN
        return ABSENT if complete else UNKNOWN

    def python_install(self):
        return _python_install(self.project, self.dockerfile, self.stage, self.context.path)

    def _pip_may_ship(self, name: str) -> bool:
        """Whether a pip install of this stage may have put a program called ``name`` on PATH."""
        install = self.python_install()
        if install is None or not install[1]:
            return True
        normalized = re.sub(r"[-_.]+", "-", name.lower())
        return name in install[2] or normalized in install[0]


def _python_install(project, dockerfile: Dockerfile, stage: Stage, context: str | None):
    """(distributions, complete, console scripts) from analysis.python_deps, or None if unavailable."""
    cache = project.facts.table("image.python_install")
    key = (dockerfile.path, stage.index, context)
    if key in cache:
        return cache[key]
    from composelint.analysis import python_deps  # owned by the dependency analysis

    try:
        install = python_deps.installed_python(project, dockerfile, stage, context)
        distributions = frozenset(install.distributions)
        tools = frozenset(install.tools)
        scripts = frozenset(python_deps.console_scripts(distributions | tools))
        result = (distributions | tools, bool(install.complete), scripts)
    except Exception:  # their analysis failing must not make ours report
        result = None
    cache[key] = result
    return result


def _expand_known(text: str, env: Mapping[str, str], escape: str = "\\") -> str | None:
    """Expand Dockerfile variables; None when a variable used has no known value."""
    if "$" not in text:
        if text.startswith(("'", '"')) and text.endswith(text[0]) and len(text) > 1:
            return text[1:-1]
        return text
    from composelint.parsers.dockerfile import substitute

    for match in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(\}|:?[-+?]|)?", text):
        name, operator = match.group(1), match.group(2) or ""
        if name not in env and not operator.lstrip(":").startswith("-"):
            return None
    return substitute(text, env, escape=escape)


def _absolute(dest: str | None, workdir: str | None, workdir_unknown: bool) -> str | None:
    if dest is None:
        return None
    if dest.startswith("/"):
        return _norm(dest)
    if workdir_unknown:
        return None
    return _norm(posixpath.join(workdir or "/", dest))


def model_for(project, dockerfile: Dockerfile, stage: Stage, context: Context,
              args: Mapping[str, str] | None = None, depth: int = 0) -> ImageModel:
    """The (cached) image model of a stage built in a context."""
    cache = project.facts.table("image.models")
    ignore_key = context.ignore.path if context.ignore is not None else None
    key = (dockerfile.path, stage.index, context.path, ignore_key, tuple(sorted((args or {}).items())))
    model = cache.get(key)
    if model is None:
        model = ImageModel(project, dockerfile, stage, context, args, depth)
        cache[key] = model
    return model


def context_for(project, context_path: str | None, dockerfile_path: str | None) -> Context:
    cache = project.facts.table("image.contexts")
    key = (context_path, dockerfile_path)
    context = cache.get(key)
    if context is None:
        ignore = project.ignore_for(context_path, dockerfile_path) if context_path is not None else None
        if ignore is None and context_path is not None and dockerfile_path is not None:
            ignore = _read_ignore(project, context_path, dockerfile_path)
        context = Context(project, context_path, ignore)
        cache[key] = context
    return context


def _read_ignore(project, context_path: str, dockerfile_path: str):
    """The .dockerignore of a build the model did not load one for (a Dockerfile no service builds)."""
    from composelint.parsers.dockerignore import parse_dockerignore

    for candidate in (dockerfile_path + ".dockerignore",
                      f"{context_path}/.dockerignore" if context_path else ".dockerignore"):
        if candidate in project.files:
            text = project.read_text(candidate)
            if text is not None:
                return parse_dockerignore(text, candidate)
    return None


# --------------------------------------------------------------------------- services


class ServiceView:
    """The container of one service (or of an image no service runs): image plus mounts."""

    def __init__(self, project, model: ImageModel | None, base: BaseInfo | None, mounts: list[Mount],
                 mounts_complete: bool, working_dir: str | None, environment: Mapping[str, str]) -> None:
        self.project = project
        self.model = model
        self.base = model.base if model is not None else base
        self.mounts = mounts
        self.mounts_complete = mounts_complete
        self.working_dir = working_dir
        self.environment = dict(environment)

    @property
    def known(self) -> bool:
        return self.base is not None and self.base.known

    def cwd(self) -> str | None:
        """The working directory of the container, or None when unknown."""
        if self.working_dir is not None:
            return self.working_dir if self.working_dir.startswith("/") else None
        if self.model is not None:
            if not self.model.workdir_known:
                return None
            return self.model.workdir or "/"
        if self.base is not None and self.base.workdir_known:
            return self.base.workdir or "/"
        return None

    def env(self) -> dict[str, str]:
        env = dict(self.model.env) if self.model is not None else {}
        env.update(self.environment)
        return env

    def mount_for(self, path: str) -> Mount | None:
        best = None
        for mount in self.mounts:
            target = mount.target
            if path == target or path.startswith(target.rstrip("/") + "/") or target == "/":
                if best is None or len(target) >= len(best.target):
                    best = mount
        return best

    def file(self, path: str, want: str = "file") -> Lookup:
        """Whether ``path`` is in the container: the mount over it decides (see analysis.mounts), else the image."""
        from composelint.analysis.mounts import through_mount

        path = _norm(path)
        if not self.mounts_complete:
            return Lookup(UNKNOWN, why="volumes_from")
        if want != "file":
            for mount in self.mounts:
                if mount.target.startswith(path.rstrip("/") + "/"):
                    return Lookup(PRESENT, why="mount point", mount=mount)
        mount = self.mount_for(path)
        if mount is not None:
            return through_mount(self, mount, path, want)
        return self.image_file(path, want)

    def image_file(self, path: str, want: str = "file") -> Lookup:
        """Whether ``path`` is in the image itself, mounts aside."""
        if self.model is not None:
            return self.model.lookup(path, want=want)
        if self.base is None or self.base.kind == "unknown":
            return Lookup(UNKNOWN, why="unknown image")
        if self.base.kind == "scratch":
            return Lookup(ABSENT, why="scratch")
        if is_system_path(path, self.base):
            return Lookup(UNKNOWN, why="system path")
        if self.base.workdir and path == self.base.workdir and want != "file":
            return Lookup(PRESENT)
        return Lookup(ABSENT, why="not in base")

    def program(self, name: str) -> tuple[str, str]:
        if self.model is not None:
            state, why = self.model.program(name)
        elif self.base is None:
            return UNKNOWN, "no image"
        else:
            state = self.base.program(name)
            why = f"{self.base.describe()} ships it" if state == PRESENT else "base"
        if state == ABSENT and self.mounts:
            for directory in DEFAULT_PATH:
                found = self.file(posixpath.join(directory, name), want="any")
                if found.mount is not None and found.state != ABSENT:
                    return UNKNOWN, "mounted"
        if state == PRESENT and why == "copied" and self.mounts and self.hidden_program(name) is not None:
            return ABSENT, "hidden by a mount"
        return state, why

    def hidden_program(self, name: str) -> tuple[Mount, str, Lookup] | None:
        """(mount, path, image lookup) when the image puts ``name`` on PATH only where a mount hides it."""
        if self.model is None:
            return None
        hidden = None
        for directory in self.model.path_dirs():
            path = posixpath.join(directory, name)
            found = self.file(path, want="any")
            if found.state == PRESENT or (found.state == UNKNOWN and found.why not in ("system path", "unknown base")):
                return None
            if found.mount is not None and hidden is None:
                image = self.model.lookup(path, want="any", program_mode=True)
                if image.state == PRESENT:
                    hidden = (found.mount, path, image)
        return hidden


# --------------------------------------------------------------------------- what to check


@record(frozen=True)
class StartTarget:
    """One start command to check, with the container it runs in."""

    start: EffectiveCommand
    view: ServiceView | None
    service: Service | None = None
    deployment: Deployment | None = None
    dockerfile: Dockerfile | None = None
    stage: Stage | None = None
    model: ImageModel | None = None

    @property
    def subject(self) -> str | None:
        return f"service '{self.service.name}'" if self.service is not None else None

    @property
    def who(self) -> str:
        if self.service is not None:
            return f"service '{self.service.name}'"
        return "the image"

    def argv_semantics(self) -> str:
        """How the container treats the start command's first word.

        "direct": it is the program that runs; "node": node's entrypoint may run it with node;
        "prefix": the image's ENTRYPOINT program comes first (distroless); "unknown".
        """
        if self.start.entrypoint is not None:
            return "direct"
        base = self.view.base if self.view is not None else None
        if base is None or not base.known:
            return "unknown"
        entrypoint = base.entrypoint
        if entrypoint in ("none", None) and base.kind == "scratch":
            return "direct"
        if entrypoint == "none":
            return "direct"
        if entrypoint == "exec":
            words = self.start.argv
            return "direct" if words and not words[0].startswith("-") else "unknown"
        if entrypoint == "node":
            return "node"
        if isinstance(entrypoint, tuple):
            return "prefix"
        return "unknown"

    def notes(self, primary: Span | None) -> tuple[Related, ...]:
        """Notes for a finding at ``primary``: the other file involved (Dockerfile or compose file)."""
        notes: list[Related] = []
        path = primary.path if primary is not None else None
        if self.service is not None and path is not None and path != self.service.file and \
                not path.endswith((".yml", ".yaml")):
            notes.append(Related(self.service.name_span, f"service '{self.service.name}' runs this image"))
        if self.dockerfile is not None and self.stage is not None and path is not None and \
                path != self.dockerfile.path:
            instruction = self.stage.from_instruction
            base = self.model.base.describe() if self.model is not None else f"`{self.stage.base_resolved}`"
            notes.append(instruction_note(instruction, f"the image is built from `{self.dockerfile.path}`, "
                                                       f"FROM {base}"))
        if self.service is not None:
            from composelint.analysis.service_facts import context_notes

            notes.extend(context_notes(self.deployment, self.service))
        return tuple(notes)


def service_view(project, service: Service) -> ServiceView | None:
    """The container a service runs in, or None when nothing is known about its image."""
    cache = project.facts.table("image.views")
    key = id(service)
    hit = cache.get(key)
    if hit is not None and hit[0] is service:
        return hit[1]
    view = _service_view(project, service)
    cache[key] = (service, view)
    return view


def _service_view(project, service: Service) -> ServiceView | None:
    from composelint.yamltree import scalar_text

    if _wasm(scalar_text(service.get("platform")) or "") or "wasm" in (scalar_text(service.get("runtime")) or ""):
        return None  # a WebAssembly runtime: the entrypoint is a module file, not a Linux program
    mounts, complete = mounts_of(service, _deployment_of(project, service))
    working_dir_node = service.get("working_dir")
    working_dir = scalar_text(working_dir_node) if working_dir_node is not None else None
    environment = {key: value.value for key, value in service.environment.items() if value.value is not None}
    model = None
    base = None
    if service.build is not None:
        if service.dockerfile is None or service.stage is None:
            return None
        context = context_for(project, service.build.context_path, service.build.dockerfile_path)
        args = {key: value.value for key, value in service.build.args.items() if value.value is not None}
        model = model_for(project, service.dockerfile, service.stage, context, args)
    elif service.image is not None:
        base = base_info(service.image.value)
    else:
        return None
    return ServiceView(project, model, base, mounts, complete, working_dir, environment)


def _deployment_of(project, service: Service) -> Deployment | None:
    """The deployment a service object belongs to (its relative paths resolve as that deployment says)."""
    owners = project.derived("image.service_deployments", lambda p: {
        id(s): (s, deployment) for deployment in p.deployments for s in deployment.services.values()})
    hit = owners.get(id(service))
    return hit[1] if hit is not None and hit[0] is service else None


def _wasm(platform: str) -> bool:
    return "wasi" in platform.lower() or "wasm" in platform.lower()


def built_dockerfiles(project) -> dict[str, list[tuple[Service, Deployment | None]]]:
    """Dockerfile path → the services that build it (every compose file and deployment)."""
    def compute(p):
        used: dict[str, list] = {}
        for deployment, service in _all_services(p):
            if service.build is not None and service.build.dockerfile_path:
                used.setdefault(service.build.dockerfile_path, []).append((service, deployment))
        return used

    return project.derived("image.built_dockerfiles", compute)


def _all_services(project) -> Iterator[tuple[Deployment | None, Service]]:
    if not project.compose_files:
        return  # no service anywhere (a lone Dockerfile), and no deployment module to import
    from composelint.assembly.deployments import deployed_files

    yield from project.deployed_services()
    covered = deployed_files(project) | {path for variant in project.variants for path in variant.files}
    for path, compose in project.compose_files.items():
        if path in covered:
            continue
        for service in compose.services.values():
            yield None, service


def start_targets(project) -> list[StartTarget]:
    """Every start command to check: services' effective commands, then unused Dockerfiles' own."""
    return project.derived("image.start_targets", _start_targets)


def _start_targets(project) -> list[StartTarget]:
    from composelint.assembly.linking import image_start

    targets: list[StartTarget] = []
    for deployment, service in _all_services(project):
        start = service.effective_start
        if start is None:
            continue
        view = service_view(project, service)
        targets.append(StartTarget(start, view, service, deployment, service.dockerfile, service.stage,
                                   view.model if view is not None else None))
    used = built_dockerfiles(project)
    for path, dockerfile in project.dockerfiles.items():
        if path in used or not dockerfile.stages:
            continue
        stage = dockerfile.stages[-1]
        entrypoint, cmd, complete = image_start(dockerfile, stage)
        if entrypoint is None and cmd is None:
            continue
        if any(_wasm(s.platform or "") for s in dockerfile.stages) or any(
                word.text.endswith(".wasm") for part in (entrypoint, cmd) if part for word in part.words):
            continue
        start = EffectiveCommand(entrypoint, cmd, complete)
        context = context_for(project, unbuilt_contexts(project, path)[0][0], path)
        model = model_for(project, dockerfile, stage, context)
        view = ServiceView(project, model, None, [], True, None, {})
        targets.append(StartTarget(start, view, None, None, dockerfile, stage, model))
    return targets


def unbuilt_contexts(project, dockerfile_path: str) -> list[tuple[str, str]]:
    """(context, how it is known) for a Dockerfile no compose service builds: the contexts the
    repository names for it (`docker build -f X CONTEXT`, docker-bake.hcl, a workflow's
    build-push-action), each with "path:line"; else its own directory with "" (assumed)."""
    from composelint.assembly.created import project_named_contexts

    named = [(entry.context, entry.origin) for entry in project_named_contexts(project).get(dockerfile_path, ())
             if project.path_exists(entry.context)]
    unique = list({context: (context, origin) for context, origin in reversed(named)}.values())[::-1]
    directory = dockerfile_path.rsplit("/", 1)[0] if "/" in dockerfile_path else ""
    return unique or [(directory, "")]


def dockerfile_builds(project) -> list[tuple[Dockerfile, Context, list[Stage], object, dict]]:
    """Each Dockerfile with each build context (and build args) it is built with, its built stages, and
    how that context is known: True (a service builds it), "path:line" (the repository's automation
    names it), or "" (no one does: the context is assumed to be the Dockerfile's directory)."""
    def compute(p):
        result = []
        used = built_dockerfiles(p)
        for path, dockerfile in p.dockerfiles.items():
            if not dockerfile.stages:
                continue
            services = used.get(path)
            if services:
                seen: dict[tuple, list[Stage]] = {}
                for service, _ in services:
                    build = service.build
                    args = tuple(sorted((key, value.value) for key, value in build.args.items()
                                        if value.value is not None))
                    key = (build.context_path, path, args)
                    target = service.stage or dockerfile.stage(None)
                    seen.setdefault(key, [])
                    if target is not None:
                        seen[key].append(target)
                for (context_path, dockerfile_path, args), targets in seen.items():
                    context = context_for(p, context_path, dockerfile_path)
                    result.append((dockerfile, context, built_stages(dockerfile, targets), True, dict(args)))
            else:
                for context_path, origin in unbuilt_contexts(p, path):
                    context = context_for(p, context_path, path)
                    result.append((dockerfile, context, list(dockerfile.stages), origin, {}))
        return result

    return project.derived("image.dockerfile_builds", compute)


# --------------------------------------------------------------------------- explanations


def copy_destinations(model: ImageModel, name: str, limit: int = 3) -> list[tuple[str, Op]]:
    """Where the image puts build-context files called ``name``: (image path, COPY op)."""
    found: list[tuple[str, Op]] = []
    for op in model.ops:
        if op.kind != "copy" or op.dest is None:
            continue
        for source in op.sources:
            clean = _clean_rel(source)
            if clean is None:
                continue
            candidates = model.context.glob(source) if _GLOB.search(source) else [(clean, model.context.kind(clean))]
            for rel, kind in candidates or ():
                if kind == "dir":
                    prefix = f"{rel}/" if rel else ""
                    for match in model.context.find_basename(name):
                        if match.startswith(prefix):
                            found.append((posixpath.join(op.dest, match[len(prefix):]), op))
                elif kind == "file" and posixpath.basename(rel) == name:
                    target = op.dest if not op.dest_is_dir and len(op.sources) == 1 else posixpath.join(op.dest, name)
                    found.append((target, op))
                if len(found) >= limit:
                    return found
    return found


def instruction_note(instruction: Instruction, message: str) -> Related:
    span = instruction.span
    if span.end is not None and span.end.line != span.start.line:
        span = Span(span.path, span.start, Position(span.start.line, span.start.column + len(instruction.keyword)))
    return Related(span, message)


# --------------------------------------------------------------------------- development intent, package.json

_DEV_NAME = re.compile(r"(?:^|[-_.])(?:dev|devel|develop|development|debug|local|dev-envs?|devcontainer)(?:[-_.]|$)",
                       re.IGNORECASE)


def dev_intent(target: StartTarget) -> bool:
    """Whether the service or image says it is for development (target, compose file, profile, stage)."""
    service = target.service
    if service is not None:
        if service.build is not None and service.build.target is not None and \
                _DEV_NAME.search(service.build.target.value or ""):
            return True
        name = posixpath.basename(service.file)
        stem = name.rsplit(".", 1)[0]
        if _DEV_NAME.search(stem.replace("docker-compose", "").replace("compose", "")):
            return True
        if any(_DEV_NAME.search(profile) for profile in service.profiles):
            return True
        return False
    return target.stage is not None and target.stage.name is not None and bool(_DEV_NAME.search(target.stage.name))


def package_scripts(project, target: StartTarget, invocation) -> tuple[str, str, Span | None, object] | None:
    """For `npm start` / `npm run x` / `yarn x`: (script label, script text, where it is defined, word)."""
    from composelint.analysis.commands.installs import _first_operand

    words = invocation.words
    name = invocation.name
    if name not in ("npm", "yarn", "pnpm", "bun") or target.view is None:
        return None
    operand = _first_operand(words, 1)
    if operand is None:
        return None
    index, verb = operand
    word = words[index]
    if verb in ("run", "run-script"):
        following = _first_operand(words, index + 1)
        if following is None:
            return None
        script, word = following[1], words[following[0]]
    elif verb == "start" or (name != "npm" and verb not in ("install", "add", "exec", "dlx", "global", "create")):
        script = verb
    else:
        return None
    cwd = invocation.cwd if invocation.cwd and invocation.cwd.startswith("/") else target.view.cwd()
    if cwd is None or invocation.cwd_unknown:
        return None
    found = target.view.file(posixpath.join(cwd, "package.json"))
    if found.state != PRESENT or not found.context_path:
        return None
    host_path = found.context_path
    if (found.mount is None or found.mount.kind != "bind") and target.view.model is not None:
        host_path = target.view.model.context.full(found.context_path)
    text = project.read_text(host_path)
    if not text:
        return None
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict) or not isinstance(scripts.get(script), str):
        return None
    body = scripts[script]
    span = None
    for number, line in enumerate(text.split("\n"), 1):
        column = line.find(json.dumps(script) + ":")
        if column < 0:
            column = line.find(json.dumps(script) + " :")
        if column >= 0:
            span = Span(host_path, Position(number, column + 1), Position(number, len(line.rstrip()) + 1))
            break
    label = f"{name} {'run ' if verb in ('run', 'run-script') else ''}{script}"
    return label, body, span, word


# --------------------------------------------------------------------------- files a start command needs


@record(frozen=True)
class OperandCheck:
    operand: object  # shell.Operand
    path: str | None  # the absolute path looked for (the first candidate), None when unresolvable
    relative: bool  # written as a relative path (resolved against the working directory)
    state: str
    cwd: str | None = None
    mount: Mount | None = None  # the mount that decided an absence (the file is hidden or never mounted)


@record(frozen=True)
class MissingFile:
    """A file a start command runs that is not in the container."""

    target: StartTarget
    invocation: object  # shell.Invocation
    check: OperandCheck


def missing_start_files(project) -> list[MissingFile]:
    """Every file (script, module, jar) a start command runs that the container does not have: CL203's
    findings, and CL208's question "does this missing bind source hide something the command needs"."""
    return project.derived("image.missing_start_files", _missing_start_files)


def _missing_start_files(project) -> list[MissingFile]:
    from composelint.analysis.commands.start import start_analysis
    from composelint.analysis.commands.operands import Operand, operands

    found_missing = []
    for target in start_targets(project):
        view = target.view
        if view is None:
            continue
        semantics = target.argv_semantics()
        if semantics == "unknown":
            continue
        prefix = view.base.entrypoint if semantics == "prefix" else ()
        analysis = start_analysis(project, target.start, prefix)
        env = view.env()
        for index, invocation in enumerate(analysis.invocations):
            if invocation.conditional:
                continue
            found = operands(invocation, env)
            if semantics == "node" and index == 0 and not found and invocation.words:
                first = invocation.words[0]
                if first.text.endswith((".js", ".mjs", ".cjs")):
                    found = [Operand(first, "node-script", first.text)]
            for operand in found:
                if operand.kind == "requirements" or _guarded(invocation, operand.value):
                    continue  # CL201 and CL401 speak for `pip install -r FILE`; `test -f x && run x`
                result = check_operand(target, invocation, operand)
                if result.mount is not None and _written_before(analysis.invocations[:index], result.mount.target):
                    continue  # `git clone … /scratch && python /scratch/job.py`: an earlier command fills it
                # An image composelint does not know speaks only through its mounts (`./src:/app`).
                if result.state == ABSENT and (view.known or result.mount is not None):
                    found_missing.append(MissingFile(target, invocation, result))
    return found_missing


def _written_before(invocations, directory: str) -> bool:
    """Whether an earlier command of the start script names ``directory`` (or a path below it)."""
    inside = directory.rstrip("/") + "/"
    for earlier in invocations:
        if earlier.cwd and (earlier.cwd == directory or earlier.cwd.startswith(inside)):
            return True
        for word in earlier.words:
            if word.text == directory or word.text.startswith(inside):
                return True
    return False


def _guarded(invocation, value: str) -> bool:
    """Whether the script tests for the file before running it (`[ -f x ] && python x`)."""
    if invocation.shell is None:
        return False
    for command in invocation.shell.parsed.commands:
        argv = command.argv
        if argv and argv[0] in ("test", "[", "[[") and value in argv:
            return True
    return False


def _stdlib() -> frozenset:
    import sys

    return sys.stdlib_module_names


def check_operand(target: StartTarget, invocation, operand) -> OperandCheck:
    """Whether the file (or module) an invocation needs is in the container."""
    view = target.view
    kind = operand.kind
    value = operand.value
    if view is None or invocation.cwd_unknown:
        return OperandCheck(operand, None, False, UNKNOWN)
    base_cwd = view.cwd()
    cwd = invocation.cwd if invocation.cwd and invocation.cwd.startswith("/") else None
    if cwd is None and invocation.cwd:  # `cd relative` in the script
        cwd = _norm(posixpath.join(base_cwd, invocation.cwd)) if base_cwd else None
        if cwd is None:
            return OperandCheck(operand, None, False, UNKNOWN)
    if cwd is None:
        cwd = base_cwd
    if kind == "module":
        return _check_module(target, invocation, operand, cwd)
    if kind == "package.json":
        if cwd is None:
            return OperandCheck(operand, None, True, UNKNOWN)
        directory = cwd
        state = ABSENT
        decided = None
        for _ in range(cwd.count("/") + 1):
            found = view.file(posixpath.join(directory, "package.json"))
            if found.state == PRESENT:
                return OperandCheck(operand, posixpath.join(directory, "package.json"), True, PRESENT, cwd)
            if found.state == UNKNOWN:
                state = UNKNOWN
            if directory == cwd:
                decided = found.mount
            if directory in ("/", ""):
                break
            directory = posixpath.dirname(directory)
        if state == UNKNOWN:
            return OperandCheck(operand, posixpath.join(cwd, "package.json"), True, UNKNOWN, cwd)
        return OperandCheck(operand, posixpath.join(cwd, "package.json"), True, ABSENT, cwd, decided)
    relative = not value.startswith("/")
    if relative and cwd is None:
        return OperandCheck(operand, None, True, UNKNOWN)
    if value.startswith("~") or "$" in value:
        return OperandCheck(operand, None, relative, UNKNOWN)
    path = _norm(posixpath.join(cwd or "/", value))
    candidates = [(path, "file")]
    if kind == "node-script":
        candidates += [(path + ext, "file") for ext in (".js", ".mjs", ".cjs", ".json", ".node")] + [(path, "dir")]
    state = ABSENT
    decided = None
    for candidate, want in candidates:
        found = view.file(candidate, want=want)
        if found.state == PRESENT:
            return OperandCheck(operand, path, relative, PRESENT, cwd)
        if found.state == UNKNOWN:
            state = UNKNOWN
        if candidate == path:
            decided = found.mount
    if state == ABSENT and not view.known and decided is None:
        state = UNKNOWN  # a mount's verdict stands whatever the image: `./src:/app` replaces all of /app
    return OperandCheck(operand, path, relative, state, cwd, decided)


def _check_module(target: StartTarget, invocation, operand, cwd: str | None) -> OperandCheck:
    from composelint.analysis.commands.start import option_value

    view = target.view
    model = view.model
    top = operand.value.split(".", 1)[0]
    if not top or not re.fullmatch(r"[A-Za-z_]\w*", top) or top in _stdlib() or model is None or cwd is None:
        return OperandCheck(operand, None, True, UNKNOWN)
    env = view.env()
    env.update(invocation.env())
    directories = [cwd]
    app_dir = option_value(invocation.words, ("--app-dir", "--chdir"))
    if app_dir is not None:
        if not app_dir.literal:
            return OperandCheck(operand, None, True, UNKNOWN)
        value = app_dir.text.split("=", 1)[1] if app_dir.text.startswith("--") else app_dir.text
        directories = [_norm(posixpath.join(cwd, value))]
    if option_value(invocation.words, ("--pythonpath",)) is not None:
        return OperandCheck(operand, None, True, UNKNOWN)
    for entry in (env.get("PYTHONPATH") or "").split(":"):
        if entry:
            if not entry.startswith("/"):
                return OperandCheck(operand, None, True, UNKNOWN)
            directories.append(_norm(entry))
    # Only the user's own code can be reported: a module that the build context has, and that
    # no local install (`pip install .`, poetry, uv sync) could have put in site-packages.
    files, dirs = model.context.basenames()
    if f"{top}.py" not in files and top not in dirs:
        return OperandCheck(operand, None, True, UNKNOWN)
    if any(op.run is not None and (op.run.pip_local or op.run.effect == "opaque") for op in model.ops):
        return OperandCheck(operand, None, True, UNKNOWN)
    state = ABSENT
    decided = None
    for directory in directories:
        for candidate, want in ((posixpath.join(directory, top + ".py"), "file"),
                                (posixpath.join(directory, top), "dir")):
            found = view.file(candidate, want=want)
            if found.state == PRESENT:
                return OperandCheck(operand, candidate, True, PRESENT, cwd)
            if found.state == UNKNOWN:
                state = UNKNOWN
            if directory == directories[0]:
                decided = decided or found.mount
    return OperandCheck(operand, posixpath.join(directories[0], top), True, state, cwd, decided)


def explain_missing(target: StartTarget, check: OperandCheck) -> tuple[str, str, tuple[Related, ...]]:
    """(why it is missing, how to fix it, notes) for an absent operand."""
    view = target.view
    model = view.model if view is not None else None
    path = check.path or ""
    name = posixpath.basename(path)
    notes: list[Related] = []
    module = check.operand.kind == "module"
    shown = f"`{name}.py` or the package `{name}/`" if module else f"`{name}`"
    if check.mount is not None:
        return _explain_mount(target, check, shown)
    if model is None:
        image = view.base.ref if view is not None and view.base is not None else "the image"
        return (f"`{image}` has no `{path}` and no volume mounts it",
                "mount the code into the container (`volumes: [\"./src:/app\"]`) or build an image that copies it",
                ())
    if module:
        flattened = _flattened_directory(model, name)
        if flattened is not None:
            op, rel = flattened
            copy_text = op.instruction.first_line
            notes.append(instruction_note(op.instruction, f"`{copy_text}` copies what is inside `{rel}/` into "
                                                          f"`{op.dest}`, not the directory itself"))
            return (f"the build context's `{rel}/` is copied as the contents of `{op.dest}`, so there is no "
                    f"`{posixpath.join(op.dest, name)}`",
                    f"copy the directory itself (`COPY {rel} {posixpath.join(op.dest, name)}`), or drop the "
                    f"`{name}.` prefix from the module", tuple(notes))
    landed = copy_destinations(model, f"{name}.py" if module else name)
    context_name = f"`{model.context.path}`" if model.context.path else "the project root"
    where = f"{check.cwd}" if check.cwd else "/"
    if landed:
        target_path, op = landed[0]
        copy_text = op.instruction.first_line
        if op.workdir is None and not op.workdir_unknown and not op.instruction.arguments.split()[-1].startswith("/"):
            why_dest = "because no WORKDIR is set, relative destinations are under `/`"
            fix = f"add `WORKDIR {posixpath.dirname(path) or '/'}` before `{copy_text}`"
        else:
            why_dest = f"it copies to `{op.dest}`"
            fix = f"copy it to `{posixpath.dirname(path)}`, or run `{target_path}`"
        notes.append(instruction_note(op.instruction, f"`{copy_text}` puts {shown} at `{target_path}`: {why_dest}"))
        reason = f"the build context's {shown} is copied to `{target_path}` instead"
        return reason, fix, tuple(notes)
    excluded = None
    for candidate in ((f"{name}.py", name) if module else (name,)):
        for match in _context_matches(model.context, candidate):
            excluded = (match, model.context.excluded_by(match))
            break
    if excluded is not None and excluded[1] is not None:
        pattern = excluded[1]
        ignore_path = model.context.ignore.path if model.context.ignore is not None else ".dockerignore"
        notes.append(Related(Span(ignore_path, Position(pattern.line, 1)),
                             f"`{pattern.pattern}` leaves `{excluded[0]}` out of the build context"))
        return (f"`{excluded[0]}` is excluded by `{ignore_path}`", f"remove or narrow the `{pattern.pattern}` "
                "pattern so the file reaches the build", tuple(notes))
    files, dirs = model.context.basenames()
    present = excluded[0] if excluded is not None else None
    if present is None and module and name in dirs:
        present = _context_dir(model.context, name)
    if present is not None:
        shown_path = f"{present}/" if module and not present.endswith(".py") else present
        reason = f"the build context has `{shown_path}`, but no instruction puts it at `{path}`"
        fix = f"copy it there (`COPY {shown_path} {path}{'/' if shown_path.endswith('/') else ''}`), or change " \
              f"the command to where the image has it"
        if model.workdir_instruction is not None:
            notes.append(instruction_note(model.workdir_instruction, f"the working directory is `{model.workdir}`"))
        return reason, fix, tuple(notes)
    suffix = posixpath.splitext(name)[1]
    close = closest_name(name, [f for f in files if f.endswith(suffix) or module], cutoff=0.5) \
        if suffix or module else None
    similar = [close] if close else []
    if not similar and suffix:
        same_kind = sorted(f for f in files if f.endswith(suffix))
        similar = same_kind[:1] if len(same_kind) == 1 else []
    reason = f"the build context {context_name} has no {shown}"
    if check.relative:
        reason += f" (the command runs in `{where}`)"
    fix = f"add {shown} to {context_name} and copy it into the image"
    if similar:
        fix = f"run the file the context has (`{similar[0]}`?), or " + fix
    if model.workdir_instruction is not None:
        notes.append(instruction_note(model.workdir_instruction, f"the working directory is `{model.workdir}`"))
    return reason, fix, tuple(notes)


def _explain_mount(target: StartTarget, check: OperandCheck, shown: str) -> tuple[str, str, tuple[Related, ...]]:
    """Why a mount leaves the file out: an empty (created or tmpfs) directory, or a bind source without it."""
    from composelint.analysis.mounts import MISSING, bind_source, inner_path

    mount = check.mount
    view = target.view
    path = check.path or ""
    inner = inner_path(mount, path)
    if check.operand.kind == "module":
        inner += ".py"
    notes = [Related(mount.span, f"{mount.describe()} replaces the image's `{mount.target}`")]
    if mount.kind == "bind" and bind_source(view.project, mount) == MISSING:
        reason = (f"`{mount.source}` is not in the repository, so Docker creates it as an empty directory and "
                  f"mounts it over `{mount.target}`")
        fix = f"create `{mount.source}` with the code in it, or remove the mount"
    elif mount.kind == "bind":
        host = f"{mount.host}/" if mount.host else "the project root"
        reason = f"{mount.describe()} replaces `{mount.target}` with `{host}`, which has no `{inner}`"
        fix = f"add `{inner}` to `{host}`, or mount the directory that has it"
    else:
        reason = f"{mount.describe()} starts empty"
        fix = f"move the mount off `{mount.target}`, or run the file from where the image has it"
    if check.operand.kind == "module":
        path = posixpath.join(posixpath.dirname(path), inner.rsplit("/", 1)[-1])
    hidden = view.image_file(path, "any")
    if hidden.state == PRESENT:
        reason += f", hiding the image's own `{path}`"
        fix = f"remove the mount (the image already has `{path}`), or " + fix.split(", or ", 1)[0]
        if hidden.op is not None:
            notes.append(instruction_note(hidden.op.instruction, f"`{hidden.op.instruction.first_line}` puts "
                                                                 f"{shown} at `{path}`, under the mount"))
    return reason, fix, tuple(notes)


def _context_dir(context: Context, name: str) -> str | None:
    """The context-relative path of a directory called ``name`` (the shallowest), if any."""
    return context.directory_named(name) if context.path is not None else None


def _flattened_directory(model: ImageModel, name: str) -> tuple[Op, str] | None:
    """A COPY whose source is a directory called ``name`` (its contents land in the destination)."""
    for op in model.ops:
        if op.kind != "copy" or op.dest is None or op.parents:
            continue
        for source in op.sources:
            clean = _clean_rel(source)
            if clean and posixpath.basename(clean) == name and model.context.kind(clean) == "dir":
                return op, clean
    return None


def _context_matches(context: Context, name: str) -> list[str]:
    """Context paths called ``name``, excluded ones included (for "excluded by .dockerignore")."""
    return context.named(name)[:3] if context.path is not None else []


def copy_word_spans(project, instruction: Instruction) -> list[tuple[str, Span]]:
    """The words of a COPY/ADD (sources, then destination) with the span of each."""
    from composelint.analysis.arguments import word_spans

    return word_spans(project, instruction, instruction.copy_words)


def stage_models(project) -> Iterator[tuple[ImageModel, bool]]:
    """The model of every built stage of every Dockerfile (in each context it is built in)."""
    for dockerfile, context, stages, used, args in dockerfile_builds(project):
        for stage in stages:
            yield model_for(project, dockerfile, stage, context, args), used


# --------------------------------------------------------------------------- generated files


def assumed_context_misses_sources(project, target) -> str | None:
    """For the image of a Dockerfile no one names a context for: the assumed context (its directory)
    when some COPY source is not in it, so that what the image lacks may only be the wrong guess."""
    model = target.model
    if target.service is not None or target.dockerfile is None or model is None or model.context.path is None:
        return None
    if unbuilt_contexts(project, target.dockerfile.path)[0][1]:
        return None  # the repository names the context
    for op in model.ops:
        if op.kind != "copy":
            continue
        for source in op.sources:
            clean = _clean_rel(source)
            if clean and not _GLOB.search(source) and not _URL.match(source) and model.context.kind(clean) is None:
                return model.context.path
    return None


def automation_creates(project, relpath: str):
    """What the repository's automation runs to create ``relpath`` (or a directory holding it) before a
    build: a `mkdir -p .pki`, an `rsync … bundle-backend/`; None when nothing does."""
    from composelint.assembly.created import project_created_paths

    return project_created_paths(project).creator(relpath)
