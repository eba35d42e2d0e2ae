"""A COPY/ADD source that matches nothing in the build context (or only excluded files)."""

from __future__ import annotations

import posixpath

from composelint.analysis.gitignore import gitignored
from composelint.analysis.image.builds import automation_creates, stage_models
from composelint.analysis.image.context import context_for
from composelint.analysis.image.model import copy_word_spans
from composelint.analysis.image.paths import GLOB, URL
from composelint.diagnostics import Position, Related, Severity, Span
from composelint.rules._rule import Violation, rule


@rule(code="CL406", name="copy-source-missing", severity="error",
      summary="a COPY/ADD source matches nothing in the build context, or only files `.dockerignore` excludes")
def check(project, options):
    for model, used in stage_models(project):
        context = model.context
        if context.path is None:
            continue
        for op in model.ops:
            if op.kind not in ("copy", "add-archive") or op.instruction.stage != model.stage.index:
                continue
            words = copy_word_spans(project, op.instruction)[:-1]
            missing = []
            for (written, span), source in zip(words, op.sources):
                if URL.match(source):
                    continue
                state = _source_state(project, context, source, model.dockerfile.path, used)
                if state is not None:
                    missing.append((written, span, source, state))
            if not missing:
                continue
            # A wildcard that matches nothing is allowed by BuildKit (an optional file), unless
            # the instruction then copies nothing at all.
            literal = [m for m in missing if not GLOB.search(m[2])]
            if len(missing) < len(op.sources):
                missing = literal
            for written, span, source, (state, pattern) in missing:
                yield _violation(op, context, written, span, source, state, pattern, used)


def _source_state(project, context, source, dockerfile_path, used):
    """None when the source is there (or cannot be known); else ("missing" | "excluded", pattern)."""
    if GLOB.search(source):
        matches = context.glob(source)
        if matches is None or matches:
            return None
        literal_dir = posixpath.dirname(posixpath.normpath("/" + source).lstrip("/").split("*")[0].split("?")[0])
        if _made_before_build(project, context.full(source.lstrip("/"))) or (
                literal_dir and _made_before_build(project, context.full(literal_dir))):
            return None
        if not used and _in_a_parent_context(project, context, dockerfile_path, lambda other: other.glob(source)):
            return None
        return "missing", None
    clean = posixpath.normpath("/" + source).lstrip("/")
    if clean in ("", "."):
        return None
    kind = context.kind(clean)
    if kind is not None:
        return None
    pattern = context.excluded_by(clean)
    full = context.full(clean)
    if pattern is not None and (full in project.files or project.path_exists(full)):
        return "excluded", pattern
    if _made_before_build(project, full):
        return None
    if not used and _in_a_parent_context(project, context, dockerfile_path, lambda other: other.kind(clean)):
        return None
    return "missing", None


def _made_before_build(project, full: str) -> bool:
    """A build output (dist/, target/app.jar) that CI creates before the image build, or a path the
    repository's automation creates (`mkdir -p .pki`, `rsync … bundle-backend/`): its absence from the
    checkout proves nothing."""
    return gitignored(project, full) or automation_creates(project, full) is not None


def _in_a_parent_context(project, context, dockerfile_path, found) -> bool:
    """No one says which context builds this Dockerfile, so its directory is assumed: whether a parent
    directory, as the context, would have the source (wildcard or literal alike)."""
    directory = context.path
    while directory:
        directory = directory.rsplit("/", 1)[0] if "/" in directory else ""
        if found(context_for(project, directory, dockerfile_path)):
            return True
    return False


def _violation(op, context, written, span, source, state, pattern, used):
    where = f"`{context.path}`" if context.path else "(the project root)"
    if used is True:
        assumed = ""
    elif used:
        assumed = f" (the context {used} builds it with)"
    else:
        assumed = " (assumed: nothing in the repository says which context builds this Dockerfile)"
    keyword = op.instruction.keyword
    related = ()
    shown = f"`{written}`" + (f" (`{source}`)" if written != source else "")
    if state == "excluded":
        ignore_path = context.ignore.path if context.ignore is not None else ".dockerignore"
        message = (f"`{keyword}` source {shown} is excluded from the build context by `{ignore_path}` "
                   f"(`{pattern.pattern}`): the build fails with \"not found\"")
        help_text = f"narrow `{pattern.pattern}` in `{ignore_path}` (or add `!{source}`), or stop copying it"
        related = (Related(Span(ignore_path, Position(pattern.line, 1)), f"`{pattern.pattern}` excludes it"),)
    elif GLOB.search(source):
        message = (f"`{keyword}` source {shown} matches nothing in the build context {where}{assumed}: "
                   "the instruction copies nothing (the classic builder fails)")
        help_text = "fix the pattern, or remove the instruction"
    else:
        message = (f"`{keyword}` source {shown} is not in the build context {where}{assumed}: the build fails "
                   "with \"not found\"")
        help_text = "fix the path (sources are relative to the build context, not to the Dockerfile), or set " \
                    "the build context that contains it"
    if not used:
        # The context is a guess: the source may well be in the real one.
        help_text += "; if another directory is the build context, name it (a compose `build:`, or " \
                     "`docker build -f Dockerfile CONTEXT` in a script)"
    return Violation(span, message, help=help_text, related=related, severity=None if used else Severity.WARNING,
                     anchor_text=op.instruction.first_line)
