"""A `FROM` that needs a global ARG with no default which the builds of this Dockerfile do not pass."""

from __future__ import annotations

import re

from composelint.diagnostics import Position, Related, Severity, Span
from composelint.imageref import is_valid_reference
from composelint.parsers.dockerfile import _arg_defaults, _arg_pairs, substitute
from composelint.rules._rule import Violation, rule

# BuildKit defines these in the global scope of every build, declared or not (values are stand-ins).
_AUTOMATIC = {"TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64", "TARGETVARIANT": "",
              "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64", "BUILDVARIANT": ""}
# $NAME or ${NAME…}; group 2 holds the operator of ${NAME:-word} and its kin (a default in the FROM itself).
_VARIABLE_RE = r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))"


@rule(code="CL413", name="undefined-arg-in-from", severity="error",
      summary="`FROM` uses a global ARG with no default that no build of the Dockerfile passes "
              "(compose `build.args`, `docker build --build-arg`)",
      equivalents=("buildkit:UndefinedArgInFrom", "buildkit:InvalidDefaultArgInFrom"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        if not dockerfile.stages or not any("$" in stage.base.value for stage in dockerfile.stages):
            continue
        declared: dict[str, object] = {}  # name -> its (last) global ARG instruction
        for instruction in dockerfile.global_args:
            for key, _ in _arg_pairs(instruction.arguments, dockerfile.escape):
                declared[key] = instruction
        defaults = {key: value for key, value in _arg_defaults(dockerfile.global_args, dockerfile.escape).items()
                    if value != ""}
        builds = None
        for stage in dockerfile.stages:
            base = stage.base.value
            for match in re.finditer(_VARIABLE_RE, base):
                name = match.group(1) or match.group(3)
                if name in _AUTOMATIC or name in defaults or (match.group(2) or "").lstrip(":")[:1] in ("-", "="):
                    continue
                stand_ins = {**_AUTOMATIC, **{key: "x" for key in declared}, **defaults}
                stand_ins.pop(name, None)
                valid = is_valid_reference(substitute(base, stand_ins, escape=dockerfile.escape))
                # As the build sees it: every variable without a value empty
                empty = substitute(base, {**_AUTOMATIC, **defaults}, escape=dockerfile.escape)
                span = _span(stage.base.span, match.start(), match.end())
                if name not in declared:
                    yield _undeclared(stage, name, match.group(0), empty, valid, span)
                    continue
                if valid:
                    continue  # an optional part (`FROM ${REGISTRY}python:3.12`): empty is fine
                if builds is None:
                    builds = _builds(project, dockerfile.path)
                found = _missing(name, builds)
                if found is None:
                    continue
                message, related, severity = found
                shown = "an empty name" if not empty else f"`{empty}`"
                yield Violation(
                    span, f"`FROM {base}` needs the build argument `{name}`: the global `ARG {name}` has no "
                          f"default and {message}, so the base image is {shown}, which BuildKit refuses",
                    help=f"give it a default (`ARG {name}=…` before the first `FROM`), or pass it in every "
                         f"build: compose `build: {{args: {{{name}: …}}}}`, `docker build --build-arg {name}=…`",
                    related=(Related(declared[name].span, f"`{name}` is declared here without a default"),
                             *related),
                    severity=severity, subject=f"stage '{stage.label()}'", anchor_text=stage.from_instruction.first_line)


def _undeclared(stage, name, written, empty, valid, span):
    consequence = ("the base image is " + (f"`{empty}`" if empty else "an empty name") + ", which BuildKit refuses"
                   ) if not valid else f"it is always empty (the base image is `{empty}`)"
    return Violation(
        span, f"`FROM {stage.base.value}` uses `{written}`, but no `ARG {name}` comes before the first `FROM`: "
              f"no build argument can set it, {consequence}",
        help=f"declare it before the first `FROM`: `ARG {name}=<default>`",
        severity=None if not valid else Severity.WARNING, subject=f"stage '{stage.label()}'",
        anchor_text=stage.from_instruction.first_line)


def _builds(project, dockerfile_path: str):
    """(services that build it, the repository's other builds of it): every FROM is resolved in every
    build, whatever its target, so every build must pass the argument."""
    from composelint.analysis.python_deps import builds_of
    from composelint.assembly.created import project_named_contexts

    services = {}
    for build in builds_of(project, dockerfile_path):
        for service in build.services:
            services.setdefault(service.name, service)
    return list(services.values()), project_named_contexts(project).get(dockerfile_path, [])


def _missing(name, builds):
    """(what lacks it, related notes, severity) or None when every known build passes it."""
    services, scripted = builds
    if services:
        lacking = [service for service in services if service.build is None or name not in service.build.args]
        if not lacking:
            return None
        names = ", ".join(f"'{service.name}'" for service in lacking[:3]) + (" …" if len(lacking) > 3 else "")
        which = "service" if len(lacking) == 1 else "services"
        related = tuple(Related(service.build.context.span if service.build else service.name_span,
                                f"service '{service.name}' builds it without `{name}` in `build.args`")
                        for service in lacking[:3])
        return f"compose {which} {names} build{'s' if len(lacking) == 1 else ''} it without it", related, None
    if scripted:
        lacking = [entry for entry in scripted if entry.build_args is not None and name not in entry.build_args]
        if not lacking:
            return None
        return f"`docker build` at {lacking[0].origin} does not pass `--build-arg {name}`", (), None
    return ("no compose service or script builds this Dockerfile to pass it (a `docker build` without "
            f"`--build-arg {name}=…` fails)", (), Severity.WARNING)


def _span(base: Span, start: int, end: int) -> Span:
    line, column = base.start.line, base.start.column
    if base.end is not None and base.end.line == line and base.end.column < column + end:
        return base  # the name is split by a continuation line
    return Span(base.path, Position(line, column + start), Position(line, column + end))
