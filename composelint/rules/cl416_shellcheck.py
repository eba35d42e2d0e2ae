"""ShellCheck over each RUN script and heredoc: a curated set of its checks, at the offending token."""

from __future__ import annotations

import re

from composelint.analysis.shellcheck import shellcheck_result, start
from composelint.diagnostics import Severity, Span
from composelint.records import record
from composelint.rules._rule import Violation, rule

# What breaks a build or a container at run time, not style: unquoted expansions that split and glob
# (SC2086, SC2046), find | xargs on names with blanks (SC2038), a `$` that single quotes keep literal
# (SC2016), backticks (SC2006); every parse error (SC1xxx); POSIX sh portability (SC3xxx) only where
# /bin/sh is dash, as in Debian-based images (composelint/analysis/shellcheck.py decides per image).
DEFAULT = ("SC1", "SC2086", "SC2046", "SC2038", "SC2016", "SC2006", "SC3")


@record(frozen=True, slots=True)
class Options:
    select: tuple[str, ...] = DEFAULT  # ShellCheck codes or prefixes (SC2, SC2155) to report
    extend_select: tuple[str, ...] = ()  # more codes or prefixes, on top of `select`
    # never reported: "not following a sourced file" (composelint never reads what a script sources)
    ignore: tuple[str, ...] = ("SC1090", "SC1091")


@rule(code="CL416", name="shellcheck", severity="warning",
      summary="ShellCheck finds a defect in a RUN script or heredoc (curated checks; needs `composelint[shellcheck]`)",
      options=Options, equivalents=("hadolint:SC*",), prepare=start)
def check(project, options: Options):
    result = shellcheck_result(project)
    if result.missing is not None and result.snippets:
        first = result.snippets[0]
        yield Violation(
            Span.at(first.path, first.instruction.span.line, first.instruction.span.column),
            f"the RUN scripts were not checked with ShellCheck: {result.missing}",
            help="install the extra (`pip install 'composelint[shellcheck]'`), or turn CL416 off with "
                 "`ignore: [CL416]`", severity=Severity.INFO)
    wanted = tuple(options.select) + tuple(options.extend_select)
    parse_errors = set()
    for finding in result.findings:
        code = f"SC{finding.code}"
        if not _listed(code, wanted) or _listed(code, options.ignore):
            continue
        if code.startswith("SC3") and not finding.snippet.posix_sh:
            continue
        if code == "SC2086" and _one_word_constant(project, finding):
            continue
        if code.startswith("SC1"):
            if id(finding.snippet) in parse_errors:
                continue  # ShellCheck stops at the first: the others describe the same place
            parse_errors.add(id(finding.snippet))
        yield Violation(
            finding.span, f"{code}: {finding.message.rstrip('.')}",
            help=f"see https://www.shellcheck.net/wiki/{code} (checked as a {finding.snippet.dialect} script)",
            anchor_text=f"{code} {finding.snippet.instruction.first_line}")


# `$NAME` or `${NAME}` alone (no `${NAME%.*}`: a modifier makes the value unknown).
_EXPANSION = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# A value that word splitting and globbing leave as it is: no blank, no `*`, `?` or `[`.
_ONE_WORD = re.compile(r"[A-Za-z0-9_.,:/@%+=^-]+")


def _one_word_constant(project, finding) -> bool:
    """``$VERSION`` where the Dockerfile sets VERSION (ENV, or ARG with its default and every value a
    compose build passes) to one word without glob characters, and the script does not assign it:
    quoting it changes nothing (hadolint reports these; they were most of ShellCheck's findings on the
    real repositories)."""
    # Imported here, not with the module: the engine loads this rule first to start ShellCheck (rules.PREPARED),
    # and would hold it back that long. From python.builds, not the python_deps facade: when the image rules
    # run in the forked process, this rule runs in the main one, which needs nothing else of the facade
    # (~4 ms of imports instead of ~11).
    from composelint.analysis.python.builds import builds_of, stage_environments_of

    expansion = _EXPANSION.fullmatch(finding.text)
    dockerfile = project.dockerfiles.get(finding.snippet.path)
    if expansion is None or dockerfile is None:
        return False
    name = expansion.group(1) or expansion.group(2)
    if re.search(rf"(?<![\w$]){name}=|\b(?:for|read|getopts)\b[^;&|\n]*\b{name}\b", finding.snippet.text):
        return False  # the script sets it: ShellCheck judges the shell's value
    values = [stage_environments_of(project, dockerfile)[finding.snippet.stage].get(name)]
    for build in builds_of(project, dockerfile.path):
        for service in build.services:
            if service.build is not None and name in service.build.args:
                values.append(service.build.args[name].value)
    return all(value is not None and _ONE_WORD.fullmatch(value) for value in values)


def _listed(code: str, selectors) -> bool:
    return any(code.startswith(selector.strip().upper()) for selector in selectors if selector.strip())
