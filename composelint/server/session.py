"""One project root as the server sees it: configuration, file list, open buffers, the last run.

A run is a whole-project lint, exactly what ``composelint check`` computes, with the open
buffers laid over the files on disk (as ``--stdin-filename`` does for one buffer). What is
kept between runs, and why (measured in benchmarks/server.py):

* the process itself: imports, rule modules and data tables are loaded once;
* the walk of the tree (FileSet), refreshed only when files appear or disappear
  (``workspace/didChangeWatchedFiles``) or the configuration changes; the buffer of a file not on
  disk yet joins each build as ``--stdin-filename``'s does;
* the parse of every compose file and Dockerfile whose text did not change (the YAML document,
  the Dockerfile model; an edit inside some services of a compose file parses, interpolates, checks
  and builds those services alone: composelint/parsers/yaml_chunks.py), each compose file's
  interpolation, schema check and services per
  environment, each deployment's merged model while what its loading read is unchanged, and each
  service linked to its Dockerfile while both are the same objects: composelint.parsecache;
* the facts derived from the Dockerfiles and their build contexts (what each image installs and
  contains, the imports of its Python files), when an edit changed only compose files and the
  image builds stayed the same: composelint/server/carry.py;
* which files changed on disk, from the kernel (composelint/server/watch.py, Linux): a file read and
  checked under the watch is not stamped again by each build until an event names it;
* the facts kept per parsed object (a service's host references and start command, an
  instruction's words, a service's ports), while the objects are the same: DerivedFacts.kept.

The Deployment records, the service graph, the other derived facts and every rule are computed
again on each run: a finding may depend on any file of the project. tests/server/test_incremental.py
checks that a warm run finds what a cold run over the same buffers finds. On a large project
(engine.FORK_MIN_SUBJECTS services and Dockerfiles, as the CLI's fork) a second process with a
session of its own builds the same model meanwhile and runs the image and start-command rules
(composelint/server/beside.py); tests/server/test_beside.py checks those runs likewise.
"""

from __future__ import annotations

import gc
import re
import time
from dataclasses import field, replace
from pathlib import Path
from typing import Callable, Mapping

from composelint.assembly.discovery import FileSet, walk
from composelint.config import Config, ConfigError, find_config_file, load_config, with_nested
from composelint.diagnostics import Diagnostic, Position, Severity, Span
from composelint.engine import subjects
from composelint.hadolint_config import NAMES as HADOLINT_NAMES
from composelint.parsecache import ParseCache
from composelint.records import record
from composelint.server.carry import carry as carried_over

CONFIG_NAMES = (".composelint.yaml", ".composelint.yml", "pyproject.toml")


@record(frozen=True)
class Outcome:
    """What one run found, per project-relative path, and the model it ran on."""

    by_path: Mapping[str, tuple[Diagnostic, ...]]
    project: object  # composelint.model.Project
    texts: Mapping[str, str]  # the text each finding's positions refer to (buffer or file)
    seconds: float
    changes: int = 0  # Session.changes when the run began

    def text_of(self, relpath: str) -> str | None:
        text = self.texts.get(relpath)
        if text is None:
            text = self.project.sources.get(relpath)
        if text is None:
            text = self.project.facts.read_text.get(relpath)
        return text


@record
class Session:
    root: Path
    config: Config = field(default_factory=Config)
    config_problem: Diagnostic | None = None
    fileset: FileSet | None = None
    parsed: ParseCache = field(default_factory=ParseCache)
    last: Outcome | None = None
    epoch: int = 0  # bumped when the walk must be redone; a walk begun before a bump is not kept
    # Bumped when the configuration, the walk or a file on disk changed, or a run failed: a run takes
    # over the last one's facts (composelint/server/carry.py) only when nothing of that happened since.
    changes: int = 0
    carried: bool = False  # whether the last run did (for tests and benchmarks)
    # The process that runs the image and start-command rules beside this one (server/beside.py),
    # started by the first run that finds this many services and Dockerfiles (None: never; the server
    # sets engine.FORK_MIN_SUBJECTS, as the CLI's fork); what it must be told of the disk and the
    # configuration since its last run.
    beside: object = None  # None: not started (yet); False: failed or not possible here, not started again
    beside_min_subjects: int | None = None
    events: list = field(default_factory=list)
    overridden: dict = field(default_factory=dict)  # the buffers the last build laid over the disk
    # The kernel's report of what changed on disk (server/watch.py), so that a build need not check the
    # stamp of every file it read; None: not made yet; False: none here (the stamps do it all).
    journal: object = None
    replaced: Outcome | None = None  # the run the last one replaced, until ``settle`` frees it

    @classmethod
    def open(cls, root: Path) -> "Session":
        session = cls(root)
        session.reload_config()
        return session

    def reload_config(self) -> None:
        """Read the configuration again; an invalid one is reported on its file and the last
        valid one stays in force (as the editor keeps showing the last findings)."""
        try:
            self.config, _ = with_nested(self.root, load_config(self.root))  # as the CLI: nested ones too
            self.config_problem = None
        except (ConfigError, ValueError) as exc:
            self.config_problem = config_diagnostic(self.root, str(exc))
        self.files_changed()  # `exclude` may have changed what the walk keeps
        self.parsed = ParseCache()  # and limits or `env` how files parse (it gets the journal with the walk)
        self._tell(("config",))

    def files_changed(self) -> None:
        """Files appeared or disappeared on disk: walk again before the next run."""
        self.epoch += 1
        self.fileset = None
        self.changes += 1
        self._tell(("walk",))

    def file_changed(self, relpath: str) -> None:
        """A file changed on disk: what the last run read of it is stale (compose files and Dockerfiles
        are read again by every build, and their texts compared)."""
        last = self.last
        if last is None or relpath not in last.project.sources:
            self.changes += 1
        self._tell(("file", relpath))

    def apply(self, event: tuple) -> None:
        """What another session was told (``_tell``), told to this one."""
        if event[0] == "config":
            self.reload_config()
        elif event[0] == "walk":
            self.files_changed()
        else:
            self.file_changed(event[1])

    def _tell(self, event: tuple) -> None:
        if self.beside:
            self.events.append(event)

    def close(self) -> None:
        """End the other process (it ends by itself too when this one does), and the watch."""
        if self.beside:
            self.beside.close()
            self.beside = None
        if self.journal:
            self.journal.close()
        self.journal = None

    def reads(self, relpath: str) -> bool:
        """Whether a change to the content of ``relpath`` can change the findings: the last run
        read it (a file no run reads changes nothing; existence is what the walk records)."""
        last = self.last
        if last is None:
            return True
        project = last.project
        return relpath in project.sources or relpath in project.facts.read_text

    def is_config(self, relpath: str) -> bool:
        name = relpath.rpartition("/")[2]  # a nested configuration governs the files below it
        return name in CONFIG_NAMES or relpath in HADOLINT_NAMES  # hadolint's: at the root only

    def lint(self, buffers: Mapping[str, str], cancelled: Callable[[], bool] = lambda: False) -> Outcome | None:
        """Lint the project with ``buffers`` (relpath -> text) over the disk; None when cancelled."""
        from composelint.engine import run

        started = time.perf_counter()
        changes = self.changes
        beside = self._ask_beside(buffers)  # first: the other process builds its model meanwhile
        collecting = gc.isenabled()
        gc.disable()  # the model is a large heap of small objects: no collector passes over it mid-run
        try:
            project = self.build(buffers, cancelled)
            if project is None:
                return None
            if self.beside is None and self.beside_min_subjects is not None \
                    and subjects(project) >= self.beside_min_subjects:
                self._start_beside(buffers)
            result = run(project, self.config, beside=beside)  # forked.available() heeds COMPOSELINT_NO_FORK
        except BaseException:
            self.changes += 1  # carried facts may now point at this run's project: carry none next time
            raise
        finally:
            if collecting:
                gc.enable()
        by_path: dict[str, list[Diagnostic]] = {}
        for diagnostic in result.diagnostics:
            by_path.setdefault(diagnostic.span.path, []).append(diagnostic)
        if self.config_problem is not None:
            by_path.setdefault(self.config_problem.span.path, []).append(self.config_problem)
        return self.remember(Outcome({path: tuple(items) for path, items in by_path.items()}, project,
                                      self.overridden, time.perf_counter() - started, changes))

    def build(self, buffers: Mapping[str, str], cancelled: Callable[[], bool] = lambda: False):
        """The model with ``buffers`` over the disk, with what the last run's still holds carried over;
        None when cancelled. The caller remembers the run (``remember``): the next one carries from it."""
        from composelint.assembly.project import build_project

        changes = self.changes
        try:
            fileset = self._fileset()
            overrides = {path: text for path, text in buffers.items() if self._overlays(path, fileset)}
            project = build_project(self.root, self.config, overrides, _copy(fileset), self.parsed)
            if cancelled():
                return None
            if overrides:
                # Files the analysis reads itself (requirements, Python sources) see the buffer too.
                read_text = project.facts.read_text
                for path, text in overrides.items():
                    if path not in project.sources:
                        read_text[path] = text
            previous = self.last
            self.carried = (previous is not None and previous.changes == changes
                            and carried_over(previous.project, project, previous.texts, overrides, self.parsed))
        except BaseException:
            self.changes += 1
            raise
        self.overridden = overrides
        return project

    def remember(self, outcome: Outcome) -> Outcome:
        """Keep ``outcome`` as the last run; the one it replaces is freed by ``settle`` (or the next run)."""
        self.settle()
        self.replaced, self.last = self.last, outcome
        return outcome

    def settle(self) -> None:
        """Free the model the last run replaced: once that run's findings are out, since freeing a model
        costs ~10 ms at 1,000 services (the server and the other process call it after answering). The
        server runs with the cyclic collector off (cli.main): without the release, every run's model would
        stay in memory (~25 MB a run at 1,000 services); with it, reference counts free it here."""
        replaced, self.replaced = self.replaced, None
        if replaced is not None:
            replaced.project.facts.release()

    def _start_beside(self, buffers: Mapping[str, str]) -> None:
        """Start the other process once a run finds the project large: it builds its first model while
        this run's rules run, so that the next run finds it ready (nobody waits for this answer)."""
        from composelint.server import beside as module

        try:
            self.beside = module.Beside(self.root) if module.available() else False
        except OSError:
            self.beside = False
        if self.beside:
            self.beside.send(dict(buffers), [])

    def _ask_beside(self, buffers: Mapping[str, str]):
        """The other process's answer to come for this run (server/beside.py), or None: the project is
        small, the process is busy (with its first model, or an older run that was cancelled), or it
        failed (then it is not started again)."""
        last = self.last
        if not self.beside or last is None or subjects(last.project) < (self.beside_min_subjects or 0):
            return None
        if self.beside.failed:
            self.close()
            self.beside = False
            return None
        if not self.beside.idle():
            return None
        events, self.events = self.events, []
        return self.beside.send(dict(buffers), events)

    def _fileset(self) -> FileSet:
        fileset = self.fileset
        if fileset is None:
            epoch = self.epoch  # the server's thread may invalidate the walk while this one walks
            fileset = walk(self.root, self.config.exclude, self.config.limits.max_file_size)
            journal = self._journal()
            if journal:  # a file is trusted only once checked under a watch (ParseCache.read)
                journal.watch(fileset.directories)
            if self.parsed is not None:
                self.parsed.journal = journal or None
            if epoch == self.epoch:
                self.fileset = fileset
        return fileset

    def _journal(self):
        if self.journal is None:
            from composelint.server.watch import Journal

            self.journal = Journal.open(self.root) or False
        return self.journal

    def _overlays(self, relpath: str, fileset: FileSet) -> bool:
        """A buffer counts when its file is part of the project: walked, or new and not excluded."""
        if relpath in fileset.all_files:
            return True
        from composelint.assembly.discovery import SKIP_DIRS, _excluded

        if _excluded(relpath, self.config.exclude) or any(part in SKIP_DIRS for part in relpath.split("/")[:-1]):
            return False
        return not (self.root / relpath).exists()  # on disk but not walked: excluded or a symlink out


def _copy(fileset: FileSet) -> FileSet:
    """build_project adds the buffers of new files to the set it is given: keep the cached one clean."""
    return replace(fileset, compose=list(fileset.compose), compose_by_content=list(fileset.compose_by_content),
                   compose_copies=dict(fileset.compose_copies), dockerfiles=list(fileset.dockerfiles),
                   dockerignores=list(fileset.dockerignores), automation=list(fileset.automation),
                   all_files=set(fileset.all_files), directories=set(fileset.directories),
                   skipped=list(fileset.skipped))


_LOCATION = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+)(?::(?P<column>\d+))?: ")


def config_diagnostic(root: Path, message: str) -> Diagnostic:
    """An invalid configuration as a finding on its file (at the line the message names, if any)."""
    found = find_config_file(root)
    path = found.relative_to(root).as_posix() if found is not None else ".composelint.yaml"
    line, column = 1, 1
    match = _LOCATION.match(message)
    if match and match.group("path") == path:
        line, column = int(match.group("line")), int(match.group("column") or 1)
    return Diagnostic(code="config", name="invalid-configuration", severity=Severity.ERROR,
                      message=f"invalid configuration: {message}; the last valid configuration stays in force",
                      span=Span(path, Position(line, column)))
