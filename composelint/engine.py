"""Run the selected rules over a project and turn what they yield into diagnostics.

The engine owns everything that is not a rule's business: selection, severity
overrides, per-file ignores, inline suppressions, the baseline, which services each
finding concerns (composelint/concerns.py), collapsing one defect seen through many
services into one finding, de-duplication across deployments, isolation of a
crashing rule, running two rule groups side by side on a large project (same
findings either way), and the final order.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from typing import Iterable, Sequence

from composelint import concerns
from composelint.config import Config, ConfigError, build_options
from composelint.diagnostics import Diagnostic, Position, Related, Severity, Span
from composelint.records import record
from composelint.rules import (DOCKERFILE_ALONE, DOCKERFILE_AND_SHIPPED, PREPARED, RuleCatalog, code_matches,
                               compose_only, load, selected_codes)
from composelint.rules._rule import RuleMeta
from composelint.sourcetext import SourceLines

INTERNAL_ERROR = "CL000"
# unused-suppression: runs after every other rule and the suppressions, whose use it judges (as
# ruff's RUF100), and is then reported, configured and suppressed like any rule.
UNUSED_SUPPRESSION = "CL009"


@record(frozen=True)
class RunResult:
    diagnostics: tuple[Diagnostic, ...]  # reported, sorted
    suppressed: tuple[Diagnostic, ...]  # covered by an inline suppression or the baseline
    rules: RuleCatalog  # code -> RuleMeta of the enabled rules

    def exit_code(self, fail_on: Severity | None) -> int:
        """1 when a finding is at or above ``fail_on``; None (`fail-on: never`) never fails."""
        if fail_on is None:
            return 0
        return 1 if any(d.severity >= fail_on for d in self.diagnostics) else 0

    def counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for diagnostic in self.diagnostics:
            counts[diagnostic.severity.label] += 1
        return counts


def enabled_rules(config: Config) -> RuleCatalog:
    """The rules the root configuration or any nested one selects (each finding is then kept or
    dropped by the configuration that governs its file: see _govern)."""
    config = _with_hadolint(config)
    codes = selected_codes(config.select, config.extend_select, config.ignore)
    for nested in config.nested.values():
        more = [code for code in selected_codes(nested.select, nested.extend_select, nested.ignore)
                if code not in codes]
        if more:
            codes = sorted({*codes, *more})
    return RuleCatalog(codes)


# The start-command and image-build families share the costliest facts (what each image
# contains, installs and runs); on a large project they take about as long as all the other
# rules together, so they run in a forked process beside them (measured: README, Performance).
# A rule that starts another program (rules.PREPARED: CL416's ShellCheck) stays in the main
# process whatever its family: the program runs while the main process, done with its own
# rules, only waits for the forked group, instead of competing with that group for its core.
FORKED_FAMILIES = frozenset("24")
# Rules of those families that read a Dockerfile's instructions alone (no image, start-command or Python
# facts) cost as much here as there: they run here, which balances the two processes (10,000 services,
# CPU of each group: forked 1.95 -> 1.78 s, here 1.51 -> 1.80 s; first measured on branch scale2).
UNFORKED = frozenset(("CL403", "CL410", "CL417", "CL418", "CL419", "CL420", "CL421", "CL422", "CL423", "CL425",
                      "CL430", "CL431", "CL432"))
# Below this many services plus Dockerfiles a fork costs more than it saves (measured likewise).
FORK_MIN_SUBJECTS = 100


def early_start(config: Config):
    """What the enabled rules start from the Dockerfiles alone, or None: a callable for build_project's
    ``dockerfiles_parsed`` (then ``adopt(project)`` once the project is built, ``close()`` when the run
    ends). CL416's ShellCheck (rules.PREPARED) then runs beside the rest of the model build, on the core
    the build leaves idle, instead of beside the rules, which the forked group already spreads over both."""
    if "CL416" not in enabled_rules(config):
        return None
    from composelint.analysis.shellcheck import EarlyStart

    return EarlyStart()


def run(project, config: Config, *, only_paths: Iterable[str] | None = None, baseline=None,
        debug: bool = False, fork: bool | None = None, beside=None, waiting=None, finish=None) -> RunResult:
    """``fork``: run FORKED_FAMILIES in a second process (None: when the project is large enough).
    ``beside``: another process already running rules over the same model (the language server's,
    composelint/server/beside.py): an object whose ``rules`` they are (see :func:`_beside`) and whose ``result()`` is
    :func:`rules_beside`'s payload, or None when it failed (the rules then run here). ``waiting``: work
    of the caller's that does not depend on the findings (importing its reporter), done while this
    process waits for the other one's rules. ``finish``: the project with what its build left for later
    (build_project's ``later``), for the rules of this process: run once the second process has its copy
    of the model, whose rules read none of it."""
    config = _with_hadolint(config)
    rules, runnable, last = _runnable(project, config)
    lines_of = _SourceLines(project.sources)
    if fork is None:
        fork = not debug and subjects(project) >= FORK_MIN_SUBJECTS

    def meanwhile() -> None:
        # What the steps after the rules import, while the other process finishes its rules (on the
        # awesome-compose corpus this one waits ~15 ms for them): its findings' decoder, the
        # suppressions and their hadolint pragmas, CL009.
        from composelint import plain  # noqa: F401

        if config.inline_ignores:
            from composelint import hadolint, suppressions  # noqa: F401
        if last:
            load(UNUSED_SUPPRESSION)
        if waiting is not None:
            waiting()

    found = _run_rules(runnable, project, config, lines_of, debug, fork, beside, meanwhile, finish)
    raw: list[Diagnostic] = [diagnostic for code in runnable for diagnostic in found[code]]
    diagnostics = _deduplicate(raw)
    diagnostics = _collapse_shared(diagnostics)
    diagnostics = _govern(diagnostics, config)
    wanted = None
    if only_paths is not None:
        wanted = only_paths if isinstance(only_paths, set) else set(only_paths)
        diagnostics = [d for d in diagnostics if _involves(d, wanted)]
    reported, suppressed = [], []
    index = None
    if config.inline_ignores:
        from composelint.suppressions import build_index

        index = build_index(project, config.hadolint)
    _apply_suppressions(diagnostics, index, baseline, reported, suppressed)
    if last:
        project.facts.suppression_usage = (index, frozenset(runnable))
        try:
            hygiene = _run_rule(load(UNUSED_SUPPRESSION), project, config, lines_of, debug)
        finally:
            project.facts.suppression_usage = None
        hygiene = _govern(hygiene, config)
        if wanted is not None:  # pragmas of files outside the run saw none of their findings
            hygiene = [d for d in hygiene if d.span.path in wanted]
        _apply_suppressions(hygiene, index, baseline, reported, suppressed)
    reported.sort(key=Diagnostic.sort_key)
    suppressed.sort(key=Diagnostic.sort_key)
    return RunResult(tuple(reported), tuple(suppressed), rules)


def _runnable(project, config: Config) -> tuple[RuleCatalog, list[str], bool]:
    """The enabled rules, those that run before the suppressions, and whether CL009 runs after them."""
    rules = enabled_rules(config)
    # A rule with nothing to read is skipped, which keeps a lone Dockerfile's start-up small.
    runnable = [code for code in rules if project.compose_files or not compose_only(code)]
    last = UNUSED_SUPPRESSION in runnable and config.inline_ignores
    if UNUSED_SUPPRESSION in runnable:
        runnable.remove(UNUSED_SUPPRESSION)
    return rules, runnable, last


def _beside(codes: list[str], chosen: frozenset | None = None) -> list[str]:
    """The rules a second process runs: FORKED_FAMILIES but UNFORKED (the CLI's fork), or those ``chosen``
    names: by family digit, or by code."""
    if chosen is not None:
        return [code for code in codes if (code[2:3] in chosen or code in chosen) and code not in PREPARED]
    return [code for code in codes if code[2:3] in FORKED_FAMILIES and code not in PREPARED and code not in UNFORKED]


def rules_beside(project, config: Config, chosen: frozenset) -> dict:
    """What a process running the rules ``chosen`` names (see :func:`_beside`) beside a run over the same
    model sends back (``run``'s ``beside``, whose ``rules`` they are): their findings, reads and probes, as
    plain values."""
    config = _with_hadolint(config)
    codes = _beside(_runnable(project, config)[1], chosen)
    return _forked_rules(codes, project, config, _SourceLines(project.sources), False)


def _with_hadolint(config: Config) -> Config:
    """The root's .hadolint.yaml mapped onto rules (the registry is needed, so not when it loads)."""
    if config.hadolint is None:
        return config
    from composelint.hadolint import resolve

    return resolve(config)


def _apply_suppressions(diagnostics, index, baseline, reported: list, suppressed: list) -> None:
    for diagnostic in diagnostics:
        suppression = index.find(diagnostic) if index is not None else None
        if suppression is not None:
            suppressed.append(replace(diagnostic, suppression=suppression.describe()))
        elif baseline is not None and baseline.covers(diagnostic):
            suppressed.append(replace(diagnostic, suppression="baseline"))
        else:
            reported.append(diagnostic)


def subjects(project) -> int:
    """A project's size as the choice of a second process weighs it: services and Dockerfiles."""
    return sum(len(deployment.services) for deployment in project.deployments) + len(project.dockerfiles)


def _run_rules(codes: list[str], project, config: Config, lines_of: _SourceLines, debug: bool,
               fork: bool, call=None, meanwhile=None, finish=None) -> dict[str, list[Diagnostic]]:
    """Each rule's findings by code; with ``fork``, FORKED_FAMILIES in a child process meanwhile
    (or in the process ``call`` is answered by: see ``run``), while this one, done with the others,
    runs ``meanwhile()`` before it waits for them. ``finish``: see ``run``."""
    from composelint import forked

    here = []  # the project this process's rules read: finished once the other process has its copy

    def run_here(chosen: list[str]) -> dict[str, list[Diagnostic]]:
        if not here:
            here.append(project if finish is None else finish(project))
        _prepare(chosen, here[0])
        return {code: _run_rule(load(code), here[0], config, lines_of, debug) for code in chosen}

    if call is not None:
        beside = _beside(codes, call.rules)
    else:
        beside = _beside(codes) if fork and forked.available() else []
    if not beside or len(beside) == len(codes):
        return run_here(codes)
    if call is None:
        try:
            call = forked.ForkedCall(lambda: _forked_rules(beside, project, config, lines_of, debug))
        except OSError:  # the system refused a process (limits, memory): one process it is
            return run_here(codes)
    found = run_here([code for code in codes if code not in beside])
    if meanwhile is not None:
        try:
            meanwhile()
        except Exception:  # only a head start: the same work fails again where it is needed, and is reported
            pass
    payload = call.result()
    if payload is None or set(payload["found"]) != set(beside):  # it failed: the same rules, here
        found.update(run_here(beside))
        return found
    from composelint.assembly.reading import import_observations
    from composelint.plain import decode

    found.update((code, [decode(item) for item in items]) for code, items in payload["found"].items())
    # What the child read and probed counts as read here: the result cache's manifest and the
    # suppression pragmas in analysed files (suppressions.build_index) depend on it.
    import_observations(payload["observed"])
    read_text = project.facts.read_text
    for path, text in payload["read_text"].items():
        read_text.setdefault(path, text)
    return found


def _forked_rules(codes: list[str], project, config: Config, lines_of: _SourceLines, debug: bool) -> dict:
    """In the child: the rules' findings, reads and probes, as plain values."""
    from composelint.assembly.reading import export_observations, is_observing, observing
    from composelint.plain import encode

    read_before = set(project.facts.read_text)
    recording = is_observing()
    with observing() as observed:
        _prepare(codes, project)
        found = {code: [encode(diagnostic) for diagnostic in _run_rule(load(code), project, config, lines_of, debug)]
                 for code in codes}
    read_text = {path: text for path, text in project.facts.read_text.items() if path not in read_before}
    return {"found": found, "observed": export_observations(observed) if recording else [], "read_text": read_text}


def _prepare(codes: list[str], project) -> None:
    """Let the rules about to run here start what runs beside them (RuleMeta.prepare): those that
    declare it first, so that the other program starts before the other rules' modules load."""
    for code in sorted(codes, key=lambda code: code not in PREPARED):
        prepare = load(code).prepare
        if prepare is not None:
            try:
                prepare(project)
            except Exception:  # the rule computes the same fact again when it runs, and reports the error
                pass


def _run_rule(meta: RuleMeta, project, config: Config, lines_of: _SourceLines, debug: bool) -> list[Diagnostic]:
    try:
        options = build_options(meta, config.rule_options.get(meta.code))
    except ConfigError:
        options = meta.options()  # validated when the config loaded; defaults if it changed since
    # With nested configurations the governing one sets the severity, per finding (_govern).
    severity_override = None if config.nested else config.severity.get(meta.code)
    url = meta.url  # a property: once per rule, not per finding
    services_of = concerns.finder(project)
    found = []
    try:
        for violation in _dockerfile_alone(meta, project, options) if meta.code in DOCKERFILE_ALONE \
                or meta.code in DOCKERFILE_AND_SHIPPED else meta.check(project, options):
            severity = severity_override or violation.severity or meta.severity
            found.append(Diagnostic(
                code=meta.code, name=meta.name, severity=severity, message=violation.message,
                span=violation.span, help=violation.help, related=tuple(violation.related),
                subject=violation.subject, url=url,
                # Never the source line of a sensitive finding: it holds the secret itself.
                anchor_text=violation.anchor_text or ("" if violation.sensitive else lines_of.text(violation.span)),
                sensitive=violation.sensitive, keyed_on_anchor=violation.keyed_on_anchor, fix=violation.fix,
                services=violation.services if violation.services is not None else
                services_of(violation.span, violation.subject)))
    except Exception as exc:  # one broken rule must not hide the others' findings
        if debug:
            raise
        import traceback

        where = traceback.extract_tb(exc.__traceback__)[-1]
        anchor = next(iter(sorted(project.sources)), ".")
        found.append(Diagnostic(
            code=INTERNAL_ERROR, name="internal-error", severity=Severity.ERROR,
            message=f"rule {meta.code} ({meta.name}) failed: {type(exc).__name__}: {exc} "
                    f"[{where.filename.rsplit('/', 1)[-1]}:{where.lineno}]",
            span=Span(anchor, Position(1, 1)),
            help="this is a bug in composelint; please report it with the file that triggers it "
                 "(rerun with --debug for the traceback)"))
    return found


def _dockerfile_alone(meta: RuleMeta, project, options) -> list:
    """What a rule of rules.DOCKERFILE_ALONE (or DOCKERFILE_AND_SHIPPED) finds: reused while every Dockerfile
    model is the same object (DerivedFacts.kept) and the same stages ship, so a language server's run after an
    edit that parsed no Dockerfile and changed no build target checks none."""
    dockerfiles = project.dockerfiles
    if not dockerfiles:
        return []
    values: tuple = (tuple(dockerfiles), options)
    if meta.code in DOCKERFILE_AND_SHIPPED:
        from composelint.analysis.python.builds import shipped_stages

        values += tuple(shipped_stages(project, dockerfile) for dockerfile in dockerfiles.values())
    return project.facts.kept("findings." + meta.code, tuple(dockerfiles.values()),
                              lambda: list(meta.check(project, options)), values)


class _SourceLines:
    """The offending source line, for fingerprints that survive edits elsewhere in the file."""

    def __init__(self, sources):
        self._lines = SourceLines(sources)

    def text(self, span: Span) -> str:
        return " ".join((self._lines.line(span.path, span.start.line) or "").split())


def _deduplicate(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The same finding reached through several deployments counts once, for all their services."""
    seen: dict[tuple, int] = {}
    unique = []
    for diagnostic in diagnostics:
        index = seen.setdefault((*_span_key(diagnostic), diagnostic.message), len(unique))
        if index < len(unique):  # one dictionary operation per finding
            kept = unique[index]
            if diagnostic.services and diagnostic.services != kept.services:
                unique[index] = replace(kept, services=concerns.merge(kept.services, diagnostic.services))
            continue
        unique.append(diagnostic)
    return unique


def _collapse_shared(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One defect written once (an anchor, an extended base) but seen by many services: report it once.

    Findings of one rule at the same position that differ only in their subject are
    merged; the other subjects become related notes.
    """
    groups: dict[tuple, list[Diagnostic]] = {}
    order = []
    for diagnostic in diagnostics:
        group = groups.setdefault(_span_key(diagnostic), [])  # one dictionary operation per finding
        if not group:
            order.append(group)
        group.append(diagnostic)
    result = []
    for group in order:
        if len(group) == 1 or any(d.subject is None for d in group):
            result.extend(group)
            continue
        first = group[0]
        others = [d for d in group[1:] if d.subject != first.subject]
        if not others:
            result.append(first)
            continue
        subjects = [first.subject] + [d.subject for d in others]
        notes = tuple(Related(d.related[0].span if d.related else d.span, f"also affects {d.subject}")
                      for d in others)
        message = f"{first.message} (shared by {len(subjects)} services: {', '.join(_short(s) for s in subjects[:5])}" \
                  f"{', …' if len(subjects) > 5 else ''})"
        result.append(replace(first, message=message, related=first.related + notes,
                              services=concerns.merge(*(d.services for d in group))))
    return result


def _span_key(diagnostic: Diagnostic) -> tuple:
    """The finding's code and span as plain values, equal exactly when the code and the Span records are:
    hashed without calling the records' own ``__hash__`` (a Span's calls its Positions'), ~3,200 findings a
    run on the language server's 1,000-service benchmark, twice each."""
    span = diagnostic.span
    start, end = span.start, span.end
    if end is None:
        return diagnostic.code, span.path, start.line, start.column
    return diagnostic.code, span.path, start.line, start.column, end.line, end.column


def _short(subject: str) -> str:
    return subject.replace("service ", "")


def _govern(diagnostics: list[Diagnostic], config: Config) -> list[Diagnostic]:
    """Selection, severity and per-file ignores of the configuration that governs each finding's
    file: the closest nested configuration above it, else the root's (as ruff's hierarchy)."""
    if not config.nested:
        if config.per_file_ignores:
            return [d for d in diagnostics if not _per_file_ignored(d, config, d.span.path)]
        return diagnostics
    scopes = sorted(config.nested.items(), key=lambda item: -len(item[0]))
    enabled: dict[str, frozenset] = {}
    kept = []
    for diagnostic in diagnostics:
        path = diagnostic.span.path
        directory, governing = next(((directory, nested) for directory, nested in scopes
                                     if path.startswith(directory + "/")), ("", config))
        codes = enabled.get(directory)
        if codes is None:
            codes = enabled[directory] = frozenset(
                selected_codes(governing.select, governing.extend_select, governing.ignore))
        # CL000 (a rule crashed) is never deselected: it says a result is missing.
        if diagnostic.code != INTERNAL_ERROR and diagnostic.code not in codes:
            continue
        if _per_file_ignored(diagnostic, governing, path[len(directory) + 1:] if directory else path):
            continue
        severity = governing.severity.get(diagnostic.code)
        kept.append(diagnostic if severity is None else replace(diagnostic, severity=severity))
    return kept


def _per_file_ignored(diagnostic: Diagnostic, config: Config, path: str) -> bool:
    """``path``: the file relative to the configuration's directory."""
    for pattern, selectors in config.per_file_ignores.items():
        if fnmatch.fnmatchcase(path, pattern) and code_matches(diagnostic.code, diagnostic.name, selectors):
            return True
    return False


def _involves(diagnostic: Diagnostic, paths: set[str]) -> bool:
    if diagnostic.span.path in paths:
        return True
    return any(related.span.path in paths for related in diagnostic.related)
