"""COPY/ADD of several sources to a destination that does not end with `/`."""

from __future__ import annotations

import posixpath

from composelint.analysis.image.base import table
from composelint.analysis.image.builds import stage_models
from composelint.analysis.image.model import copy_word_spans
from composelint.analysis.image.paths import GLOB
from composelint.diagnostics import Severity
from composelint.rules._rule import Violation, rule

# Directories every Linux image has besides the table's system paths: copying into them is safe in BuildKit.
_STANDARD_DIRECTORIES = frozenset(f"/usr/local/{name}" for name in ("bin", "sbin", "lib", "share", "include",
                                                                      "etc", "src"))


@rule(code="CL411", name="copy-sources-to-file", severity="error",
      summary="COPY/ADD with several sources and a destination not ending with `/`",
      equivalents=("hadolint:DL3021",))
def check(project, options):
    seen: set[int] = set()
    for model, _ in stage_models(project):
        directories: set[str] = set()  # made by the stages so far: WORKDIR and directory destinations
        for op in model.ops:
            if op.workdir:
                directories.add(op.workdir)
            instruction = op.instruction
            if instruction.keyword not in ("COPY", "ADD") or op.kind == "heredoc" or op.parents:
                if op.dest and op.dest_is_dir:
                    directories.add(op.dest)
                continue
            if instruction.stage != model.stage.index or id(instruction) in seen:
                _remember(op, directories)
                continue
            found = _problem(project, model, op, directories)
            _remember(op, directories)
            if found is None:
                continue
            seen.add(id(instruction))
            yield found


def _remember(op, directories: set[str]) -> None:
    if op.dest and op.dest_is_dir:
        directories.add(op.dest)


def _problem(project, model, op, directories):
    words = copy_word_spans(project, op.instruction)
    if len(words) < 2:
        return None
    written_dest, dest_span = words[-1]
    dest = written_dest.strip("\"'")
    if dest.endswith("/") or dest in (".", "..") or dest.endswith(("/.", "/..")) or "$" in dest:
        return None  # a directory by its spelling (BuildKit reads `.` as one), or not known
    sources = [text for text, _ in words[:-1]]
    literal = [source for source in sources if not GLOB.search(source)]
    count = len(literal)
    patterns = []
    for source in sources:
        if source in literal:
            continue
        matches = model.context.glob(source) if op.kind in ("copy", "add-archive") else None
        if matches is None:
            return None  # how many files the pattern matches is not known
        count += len(matches)
        patterns.append((source, len(matches)))
    if count < 2:
        return None
    absolute = op.dest or posixpath.normpath(posixpath.join(op.cwd() or "/", dest))
    keyword = op.instruction.keyword
    what = f"{len(sources)} sources" if not patterns else f"{count} files (" + ", ".join(
        f"`{pattern}` matches {n}" for pattern, n in patterns[:2]) + ")"
    if _existing_directory(absolute, directories):
        message = (f"`{keyword}` copies {what} to `{dest}`, which does not end with `/`: BuildKit copies into the "
                   f"existing directory `{absolute}`, but the legacy builder stops with \"When using {keyword} with "
                   "more than one source file, the destination must be a directory and end with a /\"")
        severity = Severity.WARNING
    else:
        message = (f"`{keyword}` copies {what} to `{dest}`, which does not end with `/`: BuildKit writes each "
                   f"source to the path `{absolute}` in turn, so it ends up one file holding only the last "
                   "(moby/buildkit#1853, #4550), and the legacy builder refuses the instruction")
        severity = None
    return Violation(dest_span, message, help=f"end the destination with `/`: `{dest}/`", severity=severity,
                     subject=f"stage '{model.stage.label()}'", anchor_text=op.instruction.first_line)


def _existing_directory(path: str, directories: set[str]) -> bool:
    if path == "/" or path in table().system_paths or path in _STANDARD_DIRECTORIES:
        return True
    return any(made == path or made.startswith(path.rstrip("/") + "/") for made in directories)
