"""The file system of every stage of a Dockerfile built with one context: what COPY/ADD put where.

:class:`StageFiles` follows COPY/ADD (from the context, other stages or other images), RUN bind mounts and
WORKDIR through a stage's FROM chain, so an image path such as ``/app/requirements.txt`` resolves to the
context file that put it there. It knows nothing of installs: :mod:`.installers` reads install commands
with it, and :class:`.stages.StageAnalysis` adds the installs on top.
"""

from __future__ import annotations

import posixpath
from fnmatch import fnmatchcase
from typing import Mapping

from composelint.analysis.python.builds import build_context, image_path, stage_environments_of
from composelint.analysis.python.requirements import URL_RE
from composelint.model import Dockerfile, Instruction, Project, Stage
from composelint.parsers.dockerfile import substitute
from composelint.records import record
from composelint.textnumbers import decimal_value


@record(frozen=True, slots=True)
class Entry:
    """One COPY/ADD (or bind mount) source in a stage's filesystem."""

    dest: str  # absolute, normalized image path
    dest_dir: bool | None  # True: a directory; None: a file or an existing directory
    kind: str  # "context" | "stage" | "image"
    source: str  # context-relative path ('' = the root), or an absolute path in the other stage
    source_dir: bool
    stage: int | None
    order: int  # index of the instruction in the Dockerfile


def _copy_words(instruction: Instruction, env: Mapping[str, str]) -> list[str]:
    return [substitute(word, env) for word, _ in instruction.copy_words]


class StageFiles:
    """Where each stage's files come from (one Dockerfile, one build context), computed once."""

    def __init__(self, project: Project, dockerfile: Dockerfile, context: str) -> None:
        self.project = project
        self.dockerfile = dockerfile
        self.context = build_context(project, context, dockerfile.path)
        self.envs = stage_environments_of(project, dockerfile)
        self.parents: list[int | None] = []
        self.entries: list[list[Entry]] = []
        self.workdirs: list[list[tuple[int, str]]] = []  # (order, workdir from then on)
        self.external_copies: list[list[tuple[str, Instruction]]] = []
        order = {id(instruction): index for index, instruction in enumerate(dockerfile.instructions)}
        self.order = order
        names: dict[str, int] = {}
        for stage in dockerfile.stages:
            parent = names.get(stage.base_resolved.lower()) if stage.base_resolved else None
            self.parents.append(parent)
            self._read_stage(stage, names, order)
            if stage.name:
                names[stage.name] = stage.index
        self.names = names

    # -- filesystem

    def _read_stage(self, stage: Stage, names: dict[str, int], order: dict[int, int]) -> None:
        env = self.envs[stage.index]
        parent = self.parents[stage.index]
        workdir = self.workdirs[parent][-1][1] if parent is not None and self.workdirs[parent] else "/"
        workdirs = [(-1, workdir)]
        entries: list[Entry] = []
        external: list[tuple[str, Instruction]] = []
        for instruction in stage.instructions:
            position = order.get(id(instruction), -1)
            if instruction.keyword == "WORKDIR":
                workdir = image_path(substitute(instruction.arguments.strip(), env), workdir)
                workdirs.append((position, workdir))
            elif instruction.keyword in ("COPY", "ADD"):
                words = _copy_words(instruction, env)
                if len(words) < 2 or any(word.startswith("<<") for word in words):
                    continue
                sources, dest_text = words[:-1], words[-1]
                dest = image_path(dest_text, workdir)
                dest_dir = True if (dest_text.endswith("/") or len(sources) > 1 or dest_text in (".", "./")) else None
                origin = instruction.flag("from")
                if origin is not None and origin.value is not None:
                    target = substitute(origin.value, env).lower()
                    index = decimal_value(target)
                    if target in names or (index is not None and index < stage.index):
                        other = names.get(target, index)
                        for source in sources:
                            entries.append(Entry(dest, dest_dir, "stage", image_path(source, "/"), True, other,
                                                 position))
                    else:
                        for source in sources:
                            external.append((image_path(source, "/"), instruction))
                            entries.append(Entry(dest, dest_dir, "image", source, True, None, position))
                    continue
                for source in sources:
                    if instruction.keyword == "ADD" and (URL_RE.match(source) or source.startswith("git@")):
                        entries.append(Entry(dest, dest_dir, "image", source, False, None, position))
                        continue
                    entries.extend(self._context_entries(source, dest, dest_dir, position))
        self.entries.append(entries)
        self.workdirs.append(workdirs)
        self.external_copies.append(external)

    def _context_entries(self, source: str, dest: str, dest_dir: bool | None, position: int) -> list[Entry]:
        cleaned = posixpath.normpath("/" + source).lstrip("/")
        context = self.context
        if any(char in cleaned for char in "*?["):
            matched = self._glob(cleaned)
            return [Entry(dest, True, "context", path, path in context.dirs and path not in context.files, None,
                          position) for path in matched]
        is_dir = cleaned in context.dirs or cleaned == ""
        return [Entry(dest, True if is_dir else dest_dir, "context", cleaned, is_dir, None, position)]

    def _glob(self, pattern: str) -> list[str]:
        parts = pattern.split("/")
        found = []
        for candidate in sorted(self.context.files | self.context.dirs):
            pieces = candidate.split("/") if candidate else []
            if len(pieces) == len(parts) and all(fnmatchcase(p, q) for p, q in zip(pieces, parts)):
                found.append(candidate)
        return found

    def workdir_at(self, stage: int, position: int) -> str:
        current = "/"
        for start, workdir in self.workdirs[stage]:
            if start < position:
                current = workdir
        return current

    def resolve(self, stage: int, path: str, before: int | None = None, extra: tuple[Entry, ...] = (),
                depth: int = 0) -> tuple[str, str] | None:
        """The context file or directory at image ``path`` (``("file"|"dir", context-relative path)``)."""
        if depth > 2 * len(self.dockerfile.stages) + 4:
            return None
        for entry in extra:
            hit = self._match(entry, path, depth)
            if hit:
                return hit
        for entry in reversed(self.entries[stage]):
            if before is not None and entry.order >= before:
                continue
            hit = self._match(entry, path, depth)
            if hit:
                return hit
        parent = self.parents[stage]
        if parent is not None and parent != stage:
            return self.resolve(parent, path, None, (), depth + 1)
        return None

    def _match(self, entry: Entry, path: str, depth: int) -> tuple[str, str] | None:
        context = self.context
        dest = entry.dest
        if entry.kind == "context":
            if entry.source_dir:
                if path == dest:
                    return ("dir", entry.source)
                prefix = dest if dest.endswith("/") else dest + "/"
                if path.startswith(prefix):
                    relpath = path[len(prefix):]
                    candidate = f"{entry.source}/{relpath}" if entry.source else relpath
                    if candidate in context.files:
                        return ("file", candidate)
                    if candidate in context.dirs:
                        return ("dir", candidate)
                return None
            name = posixpath.basename(entry.source)
            as_dir = posixpath.join(dest, name)
            if (entry.dest_dir and path == as_dir) or (not entry.dest_dir and path in (dest, as_dir)):
                if entry.source in context.files:
                    return ("file", entry.source)
            return None
        if entry.kind == "stage" and entry.stage is not None:
            as_file = entry.dest_dir is not True and path == posixpath.join(dest, posixpath.basename(entry.source))
            if path == dest or as_file:
                inner = entry.source
            elif path.startswith(dest.rstrip("/") + "/"):
                inner = entry.source.rstrip("/") + "/" + path[len(dest.rstrip("/")) + 1:]
            else:
                return None
            return self.resolve(entry.stage, inner, None, (), depth + 1)
        return None

    def chain(self, stage: int) -> list[int]:
        """The stage and the stages it is built FROM, nearest first."""
        result = [stage]
        current = self.parents[stage]
        while current is not None and current not in result:
            result.append(current)
            current = self.parents[current]
        return result

    def _bind_mounts(self, stage: int, instruction: Instruction, position: int) -> tuple[Entry, ...]:
        entries = []
        for flag in instruction.flags:
            if flag.name != "mount" or not flag.value:
                continue
            fields = dict(part.partition("=")[::2] for part in flag.value.split(",") if part)
            if fields.get("type", "bind") != "bind":
                continue
            target = fields.get("target") or fields.get("dst") or fields.get("destination")
            if not target:
                continue
            source = fields.get("source") or fields.get("src") or ""
            workdir = self.workdir_at(stage, position)
            dest = image_path(target, workdir)
            origin = fields.get("from")
            if origin:
                other = self.names.get(origin.lower())
                if other is not None:
                    entries.append(Entry(dest, None, "stage", image_path(source or "/", "/"), True, other, position))
                continue
            entries.extend(self._context_entries(source or ".", dest, None, position))
        return tuple(entries)
