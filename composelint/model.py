"""The one model of a repository that every rule reads.

Built once by :mod:`composelint.assembly.project` from the parsed files; frozen
afterwards. Every value keeps the span it was written at, so a rule never
re-reads a file to say where something is.
"""

from __future__ import annotations

import operator
import re
from dataclasses import field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Generic, Iterator, Mapping, TypeVar

from composelint.diagnostics import Position, Related, Severity, Span
from composelint.records import record
from composelint.textnumbers import decimal_value
from composelint.yamltree import YamlDocument, YMap, YNode


T = TypeVar("T")
EMPTY: Mapping = MappingProxyType({})
# BuildKit's parseStringsWhitespaceDelimited: words between these blanks (not "\n", which ends the line first).
_BLANK_DELIMITED = re.compile(r"[^\t\v\f\r ]+")


@record(frozen=True, slots=True)
class Located(Generic[T]):
    value: T
    span: Span


@record(frozen=True, slots=True)
class ParseProblem:
    """A fault found while loading; re-emitted by the input rules (CL001-CL005)."""

    code: str
    message: str
    span: Span
    help: str | None = None
    related: tuple[Related, ...] = ()
    severity: Severity | None = None  # overrides the rule's default (CL005: unset -> warning)
    anchor_text: str = ""
    # The service it is about when that is not the definition holding it (an env_file in an anchor).
    service: str | None = None


# --------------------------------------------------------------------------- Dockerfile


@record(frozen=True, slots=True)
class Flag:
    """``--name=value`` at the start of an instruction (``--from``, ``--mount``, ``--chown`` …)."""

    name: str
    value: str | None
    span: Span


@record(frozen=True, slots=True)
class Heredoc:
    delimiter: str
    body: str  # the lines between the marker and the terminator, tabs stripped for <<-
    quoted: bool  # <<"EOF" / <<'EOF': no variable expansion in the body
    strip_tabs: bool  # <<-EOF
    span: Span  # from the first body line to the terminator line


@record(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper case: "RUN"
    raw_value: str  # everything after the keyword, continuation lines joined
    arguments: str  # raw_value without the leading flags
    flags: tuple[Flag, ...]
    span: Span  # all physical lines of the instruction, heredoc bodies included
    text: str  # the instruction's source text (heredoc bodies included)
    form: str | None = None  # "exec" | "shell" for RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD
    exec_args: tuple[str, ...] | None = None  # the JSON array of an exec form
    heredocs: tuple[Heredoc, ...] = ()
    stage: int = -1  # index of the stage it belongs to; -1 before the first FROM
    arguments_span: Span | None = None  # where ``arguments`` starts (first line)

    def flag(self, name: str) -> Flag | None:
        for flag in self.flags:
            if flag.name == name:
                return flag
        return None

    @property
    def first_line(self) -> str:
        """The first line as written, blanks trimmed: how a diagnostic quotes the instruction, and what its
        fingerprint keys on. A line ends at "\n" only, as BuildKit reads it (a lone "\r" or a form feed
        inside the line is not a break)."""
        return self.text.split("\n", 1)[0].strip()

    @property
    def written_keyword(self) -> str:
        """The keyword as written (``run``, ``From``; ``keyword`` is upper-cased), on its first line."""
        found = _BLANK_DELIMITED.match(self.first_line)
        return found.group() if found else self.keyword

    @property
    def keyword_span(self) -> Span:
        """Where the keyword is written: what a diagnostic about the instruction itself points at."""
        start = self.span.start
        return Span(self.span.path, start, Position(start.line, start.column + max(len(self.written_keyword), 1)))

    @property
    def copy_words(self) -> tuple[tuple[str, int], ...]:
        """The words of a COPY/ADD, sources then destination, as written, each with its offset in ``arguments``.

        As BuildKit splits them: the strings of the JSON (exec) form ``COPY ["a", "b", "/dest/"]``, else the
        words between blanks; quotes stay (variable expansion removes them, per word)."""
        stripped = self.arguments.strip()
        if stripped.startswith("["):
            import json

            try:
                values = json.loads(stripped)
            except (ValueError, RecursionError):  # `COPY [[[[…` nested past the decoder's depth
                values = None
            if isinstance(values, list) and all(isinstance(value, str) for value in values):
                result = []
                position = 0
                for value in values:
                    found = self.arguments.find(json.dumps(value)[1:-1], position)
                    result.append((value, found if found >= 0 else 0))
                    position = max(position, found + 1)
                return tuple(result)
        return tuple((match.group(), match.start()) for match in _BLANK_DELIMITED.finditer(self.arguments))

    @property
    def copy_sources(self) -> tuple[str, ...]:
        """The sources of a COPY/ADD as written (every word but the destination)."""
        return tuple(text for text, _ in self.copy_words[:-1])


@record(frozen=True, slots=True)
class Stage:
    index: int
    name: str | None  # ``AS name``, lower-cased as BuildKit does
    base: Located[str]  # the image reference as written after FROM
    base_resolved: str  # after substituting global ARG defaults
    platform: str | None
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]  # after FROM, up to the next FROM

    def label(self) -> str:
        return self.name if self.name else str(self.index)


@record(frozen=True, slots=True)
class Dockerfile:
    path: str
    directives: Mapping[str, str]  # syntax, escape, check
    escape: str
    global_args: tuple[Instruction, ...]  # ARG before the first FROM
    stages: tuple[Stage, ...]
    instructions: tuple[Instruction, ...]  # all of them, in order
    problems: tuple[ParseProblem, ...] = ()

    def stage(self, name_or_index: str | int | None) -> Stage | None:
        """A stage by ``AS`` name or index; None selects the last (the default target)."""
        if not self.stages:
            return None
        if name_or_index is None:
            return self.stages[-1]
        if isinstance(name_or_index, int) or str(name_or_index).isdigit():
            index = name_or_index if isinstance(name_or_index, int) else decimal_value(name_or_index)
            return self.stages[index] if index is not None and 0 <= index < len(self.stages) else None
        wanted = str(name_or_index).lower()
        for stage in self.stages:
            if stage.name == wanted:
                return stage
        return None


@record(frozen=True, slots=True)
class IgnorePattern:
    pattern: str  # cleaned, without the leading "!"
    exclude: bool  # False for "!" exceptions
    line: int


@record(frozen=True, slots=True)
class DockerIgnore:
    path: str
    patterns: tuple[IgnorePattern, ...]


# --------------------------------------------------------------------------- compose


@record(frozen=True, slots=True)
class Dependency:
    service: Located[str]
    condition: str = "service_started"
    required: bool = True
    restart: bool = False
    kind: str = "depends_on"  # depends_on | links | network_mode | volumes_from | extends


@record(frozen=True, slots=True)
class Build:
    context: Located[str]
    context_path: str | None  # project-relative POSIX path; None when remote or outside the root
    dockerfile: Located[str] | None
    dockerfile_path: str | None  # project-relative POSIX path of the Dockerfile, when local
    target: Located[str] | None
    args: Mapping[str, Located[str | None]] = field(default_factory=lambda: EMPTY)
    remote: bool = False
    inline: Located[str] | None = None  # dockerfile_inline


@record(frozen=True, slots=True)
class CommandWord:
    text: str
    span: Span  # where the word is written; the whole value when it cannot be narrowed


@record(frozen=True, slots=True)
class CommandPart:
    """One half of a start command, as written in one place."""

    origin: str  # "compose-entrypoint" | "compose-command" | "image-entrypoint" | "image-cmd"
    words: tuple[CommandWord, ...]
    span: Span  # the whole value
    form: str  # "exec" (list) | "shell" (Dockerfile shell form) | "string" (compose string, split like a shell)
    stage: str | None = None  # the Dockerfile stage it came from (image-*)

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)


@record(frozen=True, slots=True)
class EffectiveCommand:
    """What the container runs: ENTRYPOINT + CMD after compose overrides (Docker's semantics)."""

    entrypoint: CommandPart | None
    cmd: CommandPart | None
    # False when the image's own ENTRYPOINT/CMD may apply but cannot be seen (a pulled image,
    # or a Dockerfile stage built FROM an external image that sets neither).
    complete: bool = True

    @property
    def words(self) -> tuple[CommandWord, ...]:
        return (self.entrypoint.words if self.entrypoint else ()) + (self.cmd.words if self.cmd else ())

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)

    def parts(self) -> tuple[CommandPart, ...]:
        return tuple(part for part in (self.entrypoint, self.cmd) if part is not None)


@record(frozen=True, slots=True)
class EnvValue:
    key_span: Span
    value: str | None  # None: no value (``- KEY``); Compose takes it from the shell then
    span: Span
    raw: str | None = None  # before interpolation


@record(frozen=True, slots=True)
class Service:
    name: str
    name_span: Span  # the service's key
    span: Span  # the service's key through the end of its mapping
    file: str  # the compose file that first defines it
    node: YMap  # the merged, interpolated, positioned definition
    image: Located[str] | None = None
    build: Build | None = None
    command: CommandPart | None = None
    entrypoint: CommandPart | None = None
    environment: Mapping[str, EnvValue] = field(default_factory=lambda: EMPTY)
    depends_on: tuple[Dependency, ...] = ()
    profiles: tuple[str, ...] = ()
    dockerfile: "Dockerfile | None" = None  # the Dockerfile its build uses, when known
    stage: "Stage | None" = None  # the target stage of that Dockerfile
    effective_start: EffectiveCommand | None = None
    extends_chain: tuple[Span, ...] = ()  # where inherited definitions came from

    def get(self, key: str) -> YNode | None:
        return self.node.get(key)


@record(frozen=True, slots=True)
class ComposeFile:
    path: str
    document: YamlDocument  # as written: positioned, anchors and merge keys resolved, not interpolated
    root: YMap | None  # interpolated with the file's default environment; None when not a mapping
    problems: tuple[ParseProblem, ...] = ()
    services: Mapping[str, Service] = field(default_factory=lambda: EMPTY)  # this file alone, before any merging


@record(frozen=True, slots=True)
class Deployment:
    """Compose files run together (``docker compose -f a -f b``), with profiles and env files."""

    name: str
    files: tuple[str, ...]
    source: str  # "config" | "dotenv" | "automation" | "documented" | "default"
    origin: Span | None  # where it was found (config line, Makefile line, README line), None for defaults
    project_dir: str
    profiles: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    root: YMap | None = None  # the merged model
    services: Mapping[str, Service] = field(default_factory=lambda: EMPTY)  # every service, active or not
    # Names of the services its profiles enable (and those of services named on its command line).
    # A dependency is NOT started for being depended on: `docker compose up` refuses a service that
    # depends on one whose profile is off ("depends on undefined service"), or skips it when the
    # dependency says `required: false` — checked against the real Compose.
    active: frozenset = frozenset()
    included: tuple[str, ...] = ()  # files pulled in through include: and extends.file
    # Arguments that name files composelint cannot resolve (`-f $FILE`, a missing file): the model
    # lacks what they add, so rules that need the whole deployment should be lenient when set.
    unresolved: tuple[Located[str], ...] = ()
    # file -> directory its relative paths resolve against in this deployment (Compose's rules: the
    # project directory for the -f files, an include's project directory for included files, the
    # extended file's own directory for a definition inherited through extends.file)
    base_dirs: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    edges: tuple[tuple[str, str, str], ...] = ()  # (file, file it pulls in, "include" | "extends")
    targets: tuple[str, ...] = ()  # services named on the command line (`docker compose run migrate`)
    command: str = ""  # the invocation as written (`docker compose -f a.yml up -d`), for listings
    variables: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # what interpolated its files
    dotenv: str | None = None  # the .env Compose reads for it (None when env_files replace it)
    # Example env files (env.example…) whose values interpolated it because no .env is committed
    env_examples: tuple[str, ...] = ()
    # "compose" (`docker compose`) or "swarm" (`docker stack deploy -c`): Swarm ignores build,
    # container_name, depends_on and restart, and honours deploy.*
    orchestrator: str = "compose"

    @property
    def swarm(self) -> bool:
        return self.orchestrator == "swarm"
    # How it is linted. "deployed": the repository runs it (Project.deployments). The others are
    # contexts in which composelint lints what no deployment runs as found (Project.variants):
    # "profile" (a deployment with one more `--profile`), "standalone" (a file no deployment runs,
    # alone), "fragment" (such a file merged over the deployment it layers on).
    kind: str = "deployed"
    parent: str | None = None  # profile / fragment: the name of the deployment it varies or layers on
    # The services this context is there to lint (None: every active one). A variant lints only what
    # no deployment before it lints, so a finding is not looked for twice.
    focus: frozenset | None = None
    notes: tuple[str, ...] = ()  # for listings: a stand-in file used, how a variant was chosen

    def active_services(self) -> Iterator[Service]:
        for name, service in self.services.items():
            if name in self.active:
                yield service

    def linted_services(self) -> Iterator[Service]:
        """The active services this context lints (its ``focus``)."""
        for service in self.active_services():
            if self.focus is None or service.name in self.focus:
                yield service

    def context_note(self) -> str | None:
        """Why a finding comes from outside the deployments, said once per finding (None: deployed)."""
        if self.kind == "profile":
            return f"only with `--profile {', '.join(p for p in self.profiles if p != '*')}`" if \
                self.profiles else "only with its profile enabled"
        if self.kind == "standalone":
            return f"no deployment runs `{self.files[0]}`: linted standalone"
        if self.kind == "fragment":
            layer = self.files[-1]
            return f"no deployment runs `{layer}`: linted as a layer over `{' + '.join(self.files[:-1])}`" if \
                len(self.files) > 1 else f"no deployment runs `{layer}`: linted alone (no base found)"
        return None

    @property
    def complete(self) -> bool:
        """False when some file argument could not be resolved (see ``unresolved``)."""
        return not self.unresolved

    def base_dir(self, path: str) -> str:
        """The directory a relative path written in ``path`` resolves against in this deployment."""
        return self.base_dirs.get(path, self.project_dir)


KEPT, KEPT_BEFORE = "kept:", "kept-before:"  # DerivedFacts.kept's tables


class DerivedFacts:
    """The facts analysis derives from a project's frozen model, each computed once, on first use.

    The model never changes after assembly; this is its one mutable companion, and only a cache: what
    it holds follows from the model and the files on disk. Computed facts are named by a string key
    (:meth:`get`, or a :meth:`table` for a fact computed piece by piece); the file reads and probes of
    the analysis layers are named fields, because the engine carries them across processes: the
    forked child (composelint/forked.py) fills its own copy, and the engine merges what it read back
    into the parent's, for the result cache's manifest (cache.py) and the suppression pragmas.
    """

    __slots__ = ("_computed", "_tables", "read_text", "realpaths", "path_exists", "suppression_usage")

    def __init__(self) -> None:
        self._computed: dict[str, object] = {}
        self._tables: dict[str, dict] = {}
        self.read_text: dict[str, str | None] = {}  # project-relative path -> text read beyond ``sources``
        self.realpaths: dict = {}  # reading.read_text's memo of resolved directories
        self.path_exists: dict[str, bool] = {}  # project-relative path -> whether it exists (one stat each)
        # Set by the engine while CL009 runs: (the suppression index, the codes that ran); see engine.run.
        self.suppression_usage: tuple | None = None

    def get(self, key: str, compute: Callable[..., T], *args) -> T:
        """The fact named ``key``, computed as ``compute(*args)`` the first time it is asked for."""
        computed = self._computed
        if key not in computed:
            computed[key] = compute(*args)
        return computed[key]  # type: ignore[return-value]

    def table(self, key: str) -> dict:
        """A memo for a fact computed piece by piece (one entry per image, stage or service)."""
        found = self._tables.get(key)
        if found is None:
            found = self._tables[key] = {}
        return found

    def kept(self, name: str, owners: tuple, compute: Callable[[], T], values: tuple = ()) -> T:
        """``compute()``, a function of ``owners`` alone: objects of the parsed model that the parse cache
        (composelint/parsecache.py) keeps while their file's text is the same, such as a merged service
        node or a Dockerfile instruction. Reused while every owner is the same object: in one run, and
        across the runs of a language-server session, which hands the last run's entries over
        (``carried``: see composelint/server/carry.py). ``values``: plain values it depends on too."""
        table = self.table(KEPT + name)
        key = (id(owners[0]), values)
        entry = table.get(key) or self.table(KEPT_BEFORE + name).pop(key, None)
        if entry is None or not all(map(operator.is_, entry[0], owners)):
            entry = (owners, compute())  # the entry holds its owners: no other object takes their ids
        table[key] = entry
        return entry[1]

    def carried(self, before: "DerivedFacts") -> None:
        """Make the entries of ``before`` (the last run) for :meth:`kept` available to this run; a run keeps
        only the entries it used, so memory stays that of one model."""
        for name, table in before._tables.items():
            if name.startswith(KEPT) and table:
                self.table(KEPT_BEFORE + name[len(KEPT):]).update(table)

    def release(self) -> None:
        """Drop the computed facts (the reads stay). Many hold the project they were computed from, a
        cycle that only the cyclic collector frees; a process that builds project after project with the
        collector off (the language server) releases each one it replaces."""
        self._computed.clear()
        self._tables.clear()


@record(frozen=True)
class Project:
    root: Path  # absolute
    sources: Mapping[str, str]  # project-relative path -> text, for every file read
    compose_files: Mapping[str, ComposeFile]
    dockerfiles: Mapping[str, Dockerfile]
    dockerignores: Mapping[str, DockerIgnore] = field(default_factory=lambda: EMPTY)  # keyed by build-context directory
    deployments: tuple[Deployment, ...] = ()  # what the repository runs
    problems: tuple[ParseProblem, ...] = ()
    # Contexts for what no deployment runs: profile variants, standalone files, fragments (Deployment.kind)
    variants: tuple[Deployment, ...] = ()
    files: frozenset = frozenset()  # every project-relative file path discovered (not only parsed ones)
    dotenv: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # the project's .env values (and config env)
    read_limit: int = 10 * 1024 * 1024
    known_hosts: frozenset = frozenset()  # config `known-hosts`: names provided outside Compose
    # Copies of compose files nothing runs as they are: path -> "template" | "backup" (discovery.FileSet)
    compose_copies: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    # Facts derived from the model on first use (image contents, graph, imports); see derived().
    facts: DerivedFacts = field(default_factory=DerivedFacts, repr=False, compare=False)

    def read_text(self, relpath: str) -> str | None:
        """Text of a project file for the analysis layers (build-context sources, requirements).

        Reads only regular files inside the root, within the size limit, without blocking; None
        when the file is missing, unreadable, binary or not UTF-8. Cached. Rules never call this:
        they ask an analysis layer, which records what it read in the model.
        """
        if relpath in self.sources:
            return self.sources[relpath]
        cache = self.facts.read_text
        if relpath not in cache:
            from composelint.assembly.reading import read_text

            cache[relpath] = read_text(self.root, relpath, self.read_limit,
                                       self.facts.realpaths).text if relpath in self.files else None
        return cache[relpath]

    def path_exists(self, relpath: str) -> bool:
        """Whether a project path (file or directory) exists, for the analysis layers.

        True for discovered files and the root without touching the disk; otherwise one cached
        ``stat`` (which follows symlinks, so a dangling link is missing). A path that leaves the
        root, or that cannot be checked, counts as existing: absence must be certain.
        """
        if relpath in ("", ".") or relpath in self.files:
            return True
        parts = relpath.split("/")
        if relpath.startswith("/") or ".." in parts or "\x00" in relpath:
            return True
        cache = self.facts.path_exists
        if relpath not in cache:
            from composelint.assembly.reading import note, probe_exists

            cache[relpath] = probe_exists(self.root, relpath)
            note("exists", relpath, cache[relpath])  # recorded for composelint.cache
        return cache[relpath]

    def ignore_for(self, context_path: str, dockerfile_path: str | None = None) -> "DockerIgnore | None":
        """The .dockerignore that applies to a build (Dockerfile-specific first, as BuildKit does)."""
        if dockerfile_path and dockerfile_path in self.dockerignores:
            return self.dockerignores[dockerfile_path]
        return self.dockerignores.get(context_path)

    def derived(self, key: str, compute):
        """A fact computed once from the model by an analysis layer, shared by every rule that asks."""
        return self.facts.get(key, compute, self)

    def deployed_services(self) -> Iterator[tuple[Deployment, Service]]:
        """Every service to lint, with the context it runs in: the active services of every deployment,
        then those only a variant runs (a profile not enabled by default, a file no deployment runs).

        ``deployment.kind`` tells them apart; whether a service is *deployed* (CL102) is a question
        for ``deployments`` alone.
        """
        for deployment in self.deployments:
            for service in deployment.active_services():
                yield deployment, service
        for variant in self.variants:
            for service in variant.linted_services():
                yield variant, service

    def linted_deployments(self) -> tuple[Deployment, ...]:
        """The deployments, then the variants: every context a service is linted in."""
        return self.deployments + self.variants
