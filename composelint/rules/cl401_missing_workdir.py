"""Relative paths (COPY destinations, start commands, WORKDIR) with no absolute WORKDIR in force."""

from __future__ import annotations

import posixpath

from composelint.analysis.image.builds import stage_models
from composelint.analysis.image.model import copy_word_spans
from composelint.analysis.image.services import instruction_note, start_targets
from composelint.analysis.commands.start import start_analysis
from composelint.analysis.commands.operands import operands
from composelint.diagnostics import Edit, Fix, Severity, Span
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule

_COPY_KINDS = ("copy", "copy-stage", "copy-image", "heredoc", "add-remote", "add-archive")


@rule(code="CL401", name="missing-workdir", severity="error",
      summary="a built stage copies to or runs a relative path with no WORKDIR set (it lands under `/`)",
      equivalents=("hadolint:DL3045", "hadolint:DL3000", "buildkit:WorkdirRelativePath"))
def check(project, options):
    flagged: set[tuple[str, int]] = set()  # (Dockerfile, stage) with a finding: start commands add nothing
    for model, _ in stage_models(project):
        if not model.base.workdir_known or model.base.workdir is not None:
            continue  # an image we do not know may set a WORKDIR; golang sets /go
        key = (model.dockerfile.path, model.stage.index)
        relative = model.relative_workdir
        if relative is not None and relative.stage == model.stage.index:
            flagged.add(key)
            yield Violation(
                relative.arguments_span or relative.span,
                f"`{relative.first_line}` is relative, and no absolute WORKDIR comes before it: "
                f"it depends on the base image's working directory (here `/`)",
                help=f"use an absolute path: `WORKDIR {posixpath.normpath('/' + relative.arguments.strip())}`",
                anchor_text=relative.first_line,
                fix=_absolute_workdir(project, relative))
            continue
        ops = [op for op in model.ops if op.kind in _COPY_KINDS and op.instruction.stage == model.stage.index
               and op.workdir is None and not op.workdir_unknown]
        relative_copies = []
        for op in ops:
            words = copy_word_spans(project, op.instruction)
            if words and not words[-1][0].startswith(("/", "$")):
                relative_copies.append((op, words[-1]))
        if relative_copies:
            flagged.add(key)
            op, (dest, span) = relative_copies[0]
            others = tuple(instruction_note(other.instruction, "another relative destination")
                           for other, _ in relative_copies[1:4])
            yield Violation(
                span,
                f"`{op.instruction.first_line}` copies to the relative path `{dest}` but no "
                f"WORKDIR is set: it lands in `{op.dest}`, mixed with the system's directories",
                help="set the application directory first, e.g. `WORKDIR /app`, before the first COPY",
                related=others,
                anchor_text=op.instruction.first_line,
                fix=_insert_workdir(project, op.instruction))
    yield from _relative_start_paths(project, flagged)


def _absolute_workdir(project, instruction):
    """`WORKDIR app` -> `WORKDIR /app`: the same directory (it resolved against `/`), said plainly."""
    start = instruction.arguments_span
    argument = instruction.arguments.strip()
    if start is None or instruction.span.end_line != instruction.span.line or not argument \
            or any(char in argument for char in "$\\\"' \t"):
        return None
    span = Span.at(start.path, start.line, start.column, start.line, start.column + len(argument))
    if _fix.at(project, span) != argument:
        return None
    return Fix.safe(f"Write the absolute path `/{argument}`", Edit.insert(start.path, start.line, start.column, "/"))


def _insert_workdir(project, instruction):
    """`WORKDIR /app` on a new line before the first relative COPY; nothing else moves.

    Unsafe: the files then land in /app instead of /, and so run later RUN steps and the start command."""
    span = instruction.span
    text = _fix.line(project, span.path, span.line)
    if text is None or not _fix.starts_line(project, span):
        return None
    return Fix.unsafe("Insert `WORKDIR /app` before the first relative COPY",
                      _fix.insert_line(span.path, span.line, _fix.indentation(text) + "WORKDIR /app"))


def _relative_start_paths(project, flagged):
    for target in start_targets(project):
        model, view = target.model, target.view
        if model is None or view is None or view.working_dir is not None or target.argv_semantics() != "direct":
            continue
        if not model.workdir_known or model.workdir is not None or not model.base.workdir_known:
            continue
        if any((model.dockerfile.path, stage.index) in flagged for stage in model.chain):
            continue
        env = view.env()
        for invocation in start_analysis(project, target.start).invocations:
            if invocation.conditional or invocation.cwd is not None or invocation.cwd_unknown:
                continue
            for operand in operands(invocation, env):
                if operand.value.startswith(("/", "~", "$")) or operand.kind == "module":
                    continue
                span = operand.word.span or invocation.part.span
                resolved = posixpath.normpath("/" + operand.value)  # `./x` and `.x` differ: no lstrip
                found = view.file(resolved)
                if found.state == "absent" and operand.kind != "requirements":
                    continue  # CL203 reports the missing file, with where it was copied instead
                tail = " (and nothing is there)" if found.state == "absent" else ""
                severity = None
                if found.state == "present":
                    # `./usr/local/bin/app` run from `/`: the image has it there, so it runs; only a later
                    # WORKDIR would break it.
                    severity = Severity.INFO
                    tail = ", which the image has: it works only as long as no WORKDIR is set"
                yield Violation(
                    span,
                    f"{target.who} uses the relative path `{operand.value}` but the image sets no WORKDIR: it "
                    f"resolves against `/`, to `{resolved}`{tail}",
                    severity=severity,
                    help="set `WORKDIR` in the Dockerfile (or `working_dir:` on the service) to the directory the "
                         "files are copied to, or use an absolute path",
                    related=target.notes(span),
                    subject=target.subject,
                    anchor_text=operand.value)
