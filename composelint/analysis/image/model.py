"""The image of one Dockerfile stage, built in one context: what is in its file system, what is on PATH.

Per stage (and the stages it is built FROM) :class:`ImageModel` keeps the instructions that shape
the file system, in order: COPY/ADD (sources resolved in the build context with ``.dockerignore``
applied and globs expanded, relative destinations joined to the WORKDIR in force, ``COPY --from``
another stage followed into that stage), WORKDIR, USER, ENV, and RUN (classified by
:mod:`.runs`). A query then walks the instructions backwards:

* :meth:`ImageModel.lookup` — is a path in the image? ``present`` (with the instruction that put it
  there), ``absent`` (nothing could have: the base is known and no instruction touches it), or
  ``unknown``. A RUN that mentions the path, its directory or its name, or that runs in a
  directory above it, makes it unknown.
* :meth:`ImageModel.program` — does a program resolve on PATH? From the base-image table
  (:mod:`.base`), packages installed by apt-get/apk, console scripts of pip-installed distributions
  (asked of :mod:`composelint.analysis.python_deps`), files copied onto PATH.

Models are cached per project by :func:`model_for`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import field
from typing import Mapping

from composelint.analysis.image.base import base_info, hint, is_system_path, package_provides, table
from composelint.analysis.image.context import Context
from composelint.analysis.image.paths import ABSENT, ARCHIVE, DEFAULT_PATH, GLOB, PRESENT, UNKNOWN, URL, clean_rel, norm
from composelint.analysis.image.runs import RunInfo, classify_run, mentions, mentions_name
from composelint.analysis.commands.syntax import SCRIPTS
from composelint.diagnostics import Span
from composelint.model import Dockerfile, Instruction, Stage
from composelint.records import record
from composelint.textnumbers import decimal_value


MAX_CHAIN = 64  # stages followed through FROM / COPY --from
MAX_STAGE_HOPS = 8  # COPY --from followed by one query


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
        scripts = self.project.facts.table(SCRIPTS)
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
                                value = norm(posixpath.join(workdir or "/", value))
                        else:
                            value = norm(value)
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
                                       run=classify_run(instruction, lookup, memo=scripts), user=self.user))
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
            if any(URL.match(source) for source in sources):
                return Op("add-remote", instruction, workdir, workdir_unknown, dest_abs, dest_is_dir)
            if any(ARCHIVE.search(source) for source in sources):
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
        path = norm(path)
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
        if mentions(text, path) or mentions_name(text, name):
            return Lookup(UNKNOWN, op, why="RUN mentions it")
        parent = posixpath.dirname(path)
        for _ in range(path.count("/")):
            if parent in ("/", ""):
                break
            if mentions(text, parent):
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
            if GLOB.search(source):
                candidates = context.glob(source)
                if candidates is None:
                    if inside or path == dest:
                        unknown = True
                    continue
            else:
                clean = clean_rel(source)
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
            if GLOB.search(source):
                if inside or path == dest:
                    return Lookup(UNKNOWN, op, why="wildcard from another stage")
                continue
            source_abs = norm("/" + source)
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
                    dirs.append(norm(item))
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
        installed = distributions | tools
        # One lookup per distinct set: images that install the same requirements share it.
        scripts_of = project.facts.table("image.console_scripts")
        scripts = scripts_of.get(installed)
        if scripts is None:
            scripts = scripts_of[installed] = frozenset(python_deps.console_scripts(installed))
        result = (installed, bool(install.complete), scripts)
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
        return norm(dest)
    if workdir_unknown:
        return None
    return norm(posixpath.join(workdir or "/", dest))


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


def copy_word_spans(project, instruction: Instruction) -> tuple[tuple[str, Span], ...]:
    """The words of a COPY/ADD (sources, then destination) with the span of each (asked by several rules)."""
    from composelint.analysis.arguments import word_spans

    return project.facts.kept("image.copy_word_spans", (instruction,),
                              lambda: tuple(word_spans(project, instruction, instruction.copy_words)))
