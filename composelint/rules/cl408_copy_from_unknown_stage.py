"""`COPY --from` (or `RUN --mount=from=`) names its own stage, a stage that needs this one, a stage index
past the last, or a one-word name that is no stage: the build fails."""

from __future__ import annotations

import re

from composelint.diagnostics import Position, Related, Severity, Span
from composelint.imageref import OFFICIAL_IMAGES
from composelint.rules._rule import Violation, rule
from composelint.suggest import closest_name
from composelint.textnumbers import decimal_value

_INDEX_RE = re.compile(r"[+-]?[0-9]+\Z")  # BuildKit reads the value with strconv.Atoi


@rule(code="CL408", name="copy-from-unknown-stage", severity="error",
      summary="`COPY --from` names its own stage, a later one that needs it, no stage index, or no stage at all",
      equivalents=("hadolint:DL3022", "hadolint:DL3023"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        references = list(_references(dockerfile))  # none without stages
        if not references:
            continue
        contexts = _named_contexts(project, dockerfile.path)
        needs = _stage_needs(dockerfile, references)
        for stage, instruction, flag, value, offset, kind in references:
            found = _problem(dockerfile, stage, value, kind, contexts, needs)
            if found is None:
                continue
            message, help_text, related, severity = found
            shown = f"{instruction.keyword} --{flag.name}={flag.value}" if kind == "copy" else \
                f"RUN --mount=…from={value}"
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            yield Violation(
                _value_span(flag, offset, len(value)), f"`{shown}` {message}", help=help_text, related=related,
                severity=severity, subject=f"stage '{stage.label()}'", anchor_text=instruction.first_line)


def _references(dockerfile):
    """(stage, instruction, flag, the name as written, its offset in the flag's value, "copy" | "mount")."""
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            for flag in instruction.flags:
                if flag.value is None:
                    continue
                if flag.name == "from" and instruction.keyword in ("COPY", "ADD"):
                    if flag.value:
                        yield stage, instruction, flag, flag.value, 0, "copy"
                elif flag.name == "mount" and instruction.keyword == "RUN":
                    offset = 0
                    fields = {}
                    for part in flag.value.split(","):
                        key, equals, value = part.partition("=")
                        if equals:
                            fields[key.strip().lower()] = (value, offset + len(key) + 1)
                        offset += len(part) + 1
                    kind = fields.get("type", ("bind", 0))[0].lower()
                    if "from" in fields and fields["from"][0] and kind in ("bind", "cache"):
                        value, at = fields["from"]
                        yield stage, instruction, flag, value, at, "mount"


def _target(dockerfile, value: str, kind: str):
    """The index of the stage ``value`` names, "index" for a stage index out of range, or None."""
    if kind == "copy" and _INDEX_RE.match(value):
        index = decimal_value(value.lstrip("+-"))  # None past int()'s digit limit: out of range too
        if index is None or (value.startswith("-") and index) or index >= len(dockerfile.stages):
            return "index"
        return index
    stage = dockerfile.stage(value)
    return stage.index if stage is not None else None


def _stage_needs(dockerfile, references) -> dict[int, set[int]]:
    """Stage index -> the stages it needs built first (its FROM stage and the stages it copies from)."""
    needs: dict[int, set[int]] = {stage.index: set() for stage in dockerfile.stages}
    for stage in dockerfile.stages:
        base = dockerfile.stage(stage.base_resolved) if stage.base_resolved and not stage.base_resolved.isdigit() \
            else None
        if base is not None and base.index < stage.index:
            needs[stage.index].add(base.index)
    for stage, _, _, value, _, kind in references:
        target = _target(dockerfile, value, kind) if "$" not in value else None
        if isinstance(target, int):
            needs[stage.index].add(target)
    return needs


def _reaches(needs: dict[int, set[int]], start: int, goal: int) -> bool:
    seen, pending = set(), [start]
    while pending:
        index = pending.pop()
        if index == goal:
            return True
        if index not in seen:
            seen.add(index)
            pending.extend(needs.get(index, ()))
    return False


def _problem(dockerfile, stage, value, kind, contexts, needs):
    """(message, help, related, severity) or None when the reference is sound."""
    if "$" in value:
        if kind == "mount":
            return None  # mount options are expanded with the stage's ARG values
        return ("uses a variable: BuildKit does not expand variables in `--from` and stops with \"variable "
                "expansion is not supported for --from\"",
                "declare `ARG NAME=default` before the first `FROM`, add a stage `FROM ${NAME} AS source`, and "
                "copy `--from=source`", (), None)
    target = _target(dockerfile, value, kind)
    count = len(dockerfile.stages)
    if target == "index":
        shown = value if len(value) <= 12 else value[:11] + "…"
        return (f"names stage index {shown}, but this Dockerfile has {count} stage{'s' if count != 1 else ''} "
                f"(0 to {count - 1}): the build stops with \"invalid stage index {shown}\"",
                "name the stage instead (`FROM … AS build`, then `--from=build`): names survive added stages",
                (), None)
    if target is None:
        lowered = value.lower()
        if any(char in value for char in "/:@") or lowered in contexts or lowered in OFFICIAL_IMAGES:
            return None  # an image reference, or a build context the compose file names
        names = [s.name for s in dockerfile.stages if s.name]
        guess = closest_name(lowered, names)
        listed = "stages: " + ", ".join(f"`{name}`" for name in names) if names else "its stages have no names"
        help_text = f"did you mean `{guess}`? " if guess else ""
        help_text += ("name an earlier stage (`FROM … AS name`), or write the image with its tag "
                      f"(`{value}:1.2`) if an image was meant")
        return (f"names no stage of this Dockerfile ({listed}): BuildKit pulls the image "
                f"`docker.io/library/{lowered}:latest` instead, which is no official image, and the build fails",
                help_text, (), None)
    other = dockerfile.stages[target]
    related = (Related(other.from_instruction.span, f"stage `{other.label()}` starts here"),)
    if target == stage.index:
        return (f"copies from its own stage `{stage.label()}`: BuildKit stops with \"circular dependency "
                "detected\"", "copy from an earlier stage, or split this stage in two", (), None)
    if target > stage.index:
        if _reaches(needs, target, stage.index):
            return (f"names the later stage `{other.label()}`, which itself needs this stage "
                    f"`{stage.label()}`: BuildKit stops with \"circular dependency detected\"",
                    "copy only from stages that do not depend on this one", related, None)
        return (f"names the later stage `{other.label()}`: BuildKit builds it first, but the legacy builder "
                "(and Podman's) only knows earlier stages and pulls an image of that name instead",
                f"move the stage `{other.label()}` before this one", related, Severity.WARNING)
    return None


def _value_span(flag, offset: int, length: int) -> Span:
    """The written name inside ``--from=NAME`` / ``--mount=…,from=NAME``: the flag ends with its value."""
    start, end = flag.span.start, flag.span.end
    if end is None or end.line != start.line:
        return flag.span
    column = end.column - len(flag.value or "") + offset
    return Span(flag.span.path, Position(start.line, column), Position(start.line, column + length))


def _named_contexts(project, dockerfile_path: str) -> set[str]:
    """The names of `build.additional_contexts` of the services that build this Dockerfile: `COPY
    --from=NAME` copies from such a context, not from a stage."""
    from composelint.analysis.python_deps import builds_of
    from composelint.yamltree import YMap, YSeq

    names: set[str] = set()
    for build in builds_of(project, dockerfile_path):
        for service in build.services:
            node = service.get("build")
            contexts = node.get("additional_contexts") if isinstance(node, YMap) else None
            if isinstance(contexts, YMap):
                names.update(str(key).lower() for key in contexts.keys())
            elif isinstance(contexts, YSeq):  # the list form: `- name=path`
                names.update(str(getattr(item, "value", "")).partition("=")[0].strip().lower()
                             for item in contexts.items)
    return names
