"""The `check` command's pipeline, beneath cli.py's click declarations: configuration and selection from the
flags, the path filter, cache, baseline, the run, and the report with its paths and exit code.

Heavy modules are imported inside the functions that need them, so that `--help` and `--version`,
which import this module with cli.py, load neither the rules nor a parser.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from composelint import __version__, fixcli

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> "click.exceptions.Exit":
    # One line, whatever the message quotes (a config key or a path may hold a line break).
    message = message.replace("\r", "\\r").replace("\n", "\\n")
    click.echo(f"composelint: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_ERROR)


class View:
    """How the report is shown: format, destination and what besides the findings is printed."""

    def __init__(self, output_format, output_file, show_suppressed, color, statistics=False, quiet=False):
        self.format, self.output_file, self.show_suppressed = output_format, output_file, show_suppressed
        self.color, self.statistics, self.quiet = color, statistics, quiet
        self.path_base: Path | None = None  # --path-base; then the configuration's, then the repository root
        self.fixing, self.fixed = fixcli.NO_FIX, None  # --fix and its kin; how many fixes were applied
        self.printed: tuple[str | None, str] | None = None  # the report written: (report_key, text)

    def note(self, message: str) -> None:
        """A line for people on standard error; --quiet leaves only the findings."""
        if not self.quiet:
            click.echo(f"composelint: {message}", err=True)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def run_check(paths, view, config_path, select, extend_select, ignore, severities, fail_on, no_inline_ignores,
              stdin_filename, use_environment, debug, baseline_path=None, write_baseline=None, no_cache=False,
              env_files=()) -> int:
    from types import MappingProxyType

    from composelint.config import ConfigError, load_config, with_nested, with_overrides
    from composelint.diagnostics import Severity
    from composelint.assembly.discovery import find_project_root
    from composelint.rules import resolve_codes, rule_by_key

    check_output_file(view.output_file)
    targets = [Path(p) for p in paths] or [Path.cwd()]
    for target in targets:
        if not target.exists() and stdin_filename is None:
            raise fail(f"{target}: no such file or directory")
    start = Path(stdin_filename) if stdin_filename is not None and not paths else targets[0]
    start = start.absolute()
    while not start.exists() and start.parent != start:
        start = start.parent  # an editor buffer not saved yet, maybe in a directory not created yet
    root = find_project_root(start)
    # An env file outside the project (known once the configuration is read) turns the run cache off too.
    cacheable = not (no_cache or stdin_filename is not None or baseline_path is not None or write_baseline is not None
                     or debug or _disabled_by_environment("COMPOSELINT_NO_CACHE"))
    parsed = code = None
    if cacheable:
        from composelint.cache import ParsedConfigs, code_fingerprint

        code = code_fingerprint()
        parsed = ParsedConfigs(root, code)
    try:
        config = load_config(root, config_path, parsed)
        chosen = {name: _split(value) for name, value in
                  (("select", select), ("extend_select", extend_select), ("ignore", ignore))}
        chosen = {name: resolve_codes(items) for name, items in chosen.items() if items is not None}
        severity_flags = {}
        for item in severities:
            key, sep, level = item.partition("=")
            meta = rule_by_key(key)
            if not sep or meta is None:
                raise ConfigError(f"--severity {item}: expected CODE=LEVEL with a known rule code or name")
            severity_flags[meta.code] = Severity.parse(level)
        overrides = {}
        if fail_on:
            overrides["fail_on"] = Severity.parse(fail_on)
        if use_environment:
            overrides["use_environment"] = True
        if no_inline_ignores:
            overrides["inline_ignores"] = False
        if env_files:
            overrides["env_files"] = tuple(_env_file_path(root, Path(path)) for path in env_files)
        config = with_overrides(config, **overrides)
        config, fileset = with_nested(root, config, explicit=config_path is not None, parsed=parsed)
        # The command line's selection wins over every configuration, nested ones included (as ruff's).
        config = _select(config, chosen, severity_flags)
        if config.nested:
            config = with_overrides(config, nested=MappingProxyType(
                {directory: _select(nested, chosen, severity_flags) for directory, nested in config.nested.items()}))
    except (ConfigError, ValueError) as exc:
        raise fail(f"invalid configuration: {exc}") from None
    view.path_base = _path_base(root, config, view.path_base)

    stdin_overrides = {}
    # Without a path, the current directory: `cd services/api && composelint` reports what
    # `composelint services/api` reports from the root, on the same model.
    only_paths = _only_paths(root, targets if paths or stdin_filename is None else [])
    if stdin_filename is not None:
        rel = _relative(root, Path(stdin_filename))
        if rel is None:
            raise fail(f"--stdin-filename {stdin_filename}: the path is outside the project root {root}")
        data = sys.stdin.buffer.read(config.limits.max_file_size + 1)  # over the limit: CL007, unread rest
        stdin_overrides[rel] = data.decode("utf-8", "surrogateescape")
        only_paths = {rel}

    baseline = None
    if baseline_path is not None and write_baseline is None:
        from composelint.baseline import Baseline, BaselineError

        try:
            baseline = Baseline.load(baseline_path)
        except BaselineError as exc:
            raise fail(str(exc)) from None
    cache = None
    # An env file outside the project is not among the files a cached run is checked against.
    outside = any(os.path.isabs(path) for path in config.env_files)
    if cacheable and not outside:
        from composelint.cache import RunCache

        cache = RunCache.for_run(root, config, {"only": _filter_key(only_paths)}, code)
    if cache is not None:
        from composelint.cache import fileset_digest

        fileset_hash = fileset_digest(fileset)
        hit = cache.load(fileset_hash, report_key(view, root, _report_color(view)))
        if hit is not None:  # nothing the previous run read has changed: its findings stand
            result = hit.result(lambda: _enabled_rules(config))
            linted = stdin_overrides or _linted(fileset.compose + fileset.dockerfiles, only_paths)
            code = _finish(result, hit, view, config, linted, paths, hit.report)
            cache.keep_report(hit, view.printed)  # rendered from the findings: kept for the next such run
            return code
    if view.fixing.enabled:
        return fixcli.run(root, config, view, only_paths, baseline, stdin_overrides,
                          lambda result, project, linted: _finish(result, project, view, config, linted, paths), fail)
    from composelint.assembly.project import build_project
    from composelint.assembly.reading import observing
    from composelint.engine import early_start, run

    early = early_start(config)
    later = []  # what the build leaves for the main process to do beside the forked rules
    with observing() if cache is not None else contextlib.nullcontext([]) as observed, _closing(early):
        if only_paths is None:
            project = build_project(root, config, stdin_overrides, fileset, dockerfiles_parsed=early, later=later)
        else:  # what can bear on the named paths, not the whole repository
            from composelint.scoping import build_scoped_project

            project = build_scoped_project(root, config, stdin_overrides, fileset, only_paths, early)
        if early is not None:
            early.adopt(project)
        if baseline is not None:
            baseline = baseline.bind(project.read_text)
        result = run(project, config, only_paths=only_paths, baseline=baseline, debug=debug,
                     waiting=lambda: _prepare_report(view), finish=later[0] if later else None)
    if write_baseline is not None:
        return _write_baseline(write_baseline, result, project, view)
    linted = stdin_overrides or _linted([*project.compose_files, *project.dockerfiles], only_paths)
    try:
        code = _finish(result, project, view, config, linted, paths)
    finally:  # after the report, which the entry keeps too; the findings stand even if it could not be written
        if cache is not None:
            cache.store(fileset_hash, observed, project, result, view.printed)
    if baseline is not None and only_paths is None and baseline.unmatched():
        view.note(_stale_baseline_message(baseline, baseline_path))
    return code


STALE_LISTED = 20  # entries named in the stale-baseline note; the rest are counted


def _stale_baseline_message(baseline, baseline_path) -> str:
    from composelint.reporters import one_line

    entries = baseline.unmatched_entries()
    lines = [f"{baseline.unmatched()} finding(s) recorded in {baseline_path} no longer occur; rewrite it with "
             f"--write-baseline {baseline_path} so that they are reported if they come back:"]
    for code, path, subject, count in entries[:STALE_LISTED]:
        where = f"{path} ({subject})" if subject else path
        lines.append(f"  {code} {one_line(where)}" + (f" ×{count}" if count > 1 else ""))
    if len(entries) > STALE_LISTED:
        lines.append(f"  … and {len(entries) - STALE_LISTED} more")
    return "\n".join(lines)


def _enabled_rules(config):
    from composelint.engine import enabled_rules

    return enabled_rules(config)


def _linted(paths, only_paths) -> list[str]:
    """The compose files and Dockerfiles the run reports on."""
    return [path for path in paths if only_paths is None or path in only_paths]


def _finish(result, project, view: View, config, linted, paths, stored=None) -> int:
    """Report and return the exit code; a run with nothing to lint says so instead of "All checks passed"."""
    if linted or result.diagnostics or result.suppressed:
        _report(result, project, view, stored)
        return result.exit_code(config.fail_on)
    # Files named one by one (pre-commit passes every changed YAML file) that are not compose
    # files are simply not ours: only a directory with nothing to lint deserves the warning.
    if not paths or any(Path(path).is_dir() for path in paths):
        where = ", ".join(str(path) for path in paths) or "the current directory"
        view.note(f"warning: nothing to lint: no compose file or Dockerfile under {where}")
    if view.statistics or view.format not in ("text", "concise"):
        _report(result, project, view, stored)  # a machine still gets a well-formed, empty report
    elif view.output_file is not None:
        write_output(view.output_file, "")
    return EXIT_CLEAN


def _env_file_path(root: Path, path: Path) -> str:
    """An --env-file as the project sees it: relative to the root when inside it, else absolute."""
    rel = _relative(root, path)
    return rel if rel is not None else str(path.resolve())


@contextlib.contextmanager
def _closing(early):
    """Whatever ``early`` started ends with the run, even when no rule collected it (an error on the way)."""
    try:
        yield
    finally:
        if early is not None:
            early.close()


def _disabled_by_environment(variable: str) -> bool:
    """``COMPOSELINT_NO_CACHE`` set to anything but empty, 0, false, no or off (COMPOSELINT_NO_FORK: forked.py)."""
    value = os.environ.get(variable, "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection while a lint runs (model, rules, cache, report).

    The model is a large heap of small immutable objects that lives until the report is
    written; each full pass of Python's collector re-scans all of it, which cost ~40% of the
    run at 10,000 services. Little of what a run allocates is cyclic garbage (peak memory
    grows ~10%), and collection resumes afterwards.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _filter_key(only_paths) -> object:
    """The ``only_paths`` filter as plain data, for the cache key."""
    if only_paths is None:
        return None
    return [sorted(map(str, only_paths)), sorted(getattr(only_paths, "beside", ()))]


def _write_baseline(path: Path, result, project, view: View) -> int:
    from composelint.baseline import BaselineError, write

    try:
        count = write(path, result.diagnostics, project.read_text)
    except BaselineError as exc:
        raise fail(str(exc)) from None
    view.note(f"recorded {count} finding(s) in {path}")
    return EXIT_CLEAN


def _relative(root: Path, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _only_paths(root: Path, targets: list[Path]) -> set[str] | None:
    """Files and directories named on the command line narrow what is reported (and what is modelled to
    what can bear on them: composelint/scoping.py)."""
    from composelint.assembly.discovery import is_compose_name, is_dockerfile_name, yaml_candidate_kind

    if not targets:
        return None
    wanted: set[str] = set()
    beside: set[str] = set()
    for target in targets:
        rel = _relative(root, target)
        if rel is None:
            raise fail(f"{target}: the path is outside the project root {root}")
        if rel in ("", "."):
            return None
        wanted.add(rel)
        directory, _, name = rel.rpartition("/")
        if not target.is_dir() and not is_compose_name(name) and not is_dockerfile_name(name) \
                and yaml_candidate_kind(name) != "compose":
            # A .env, .dockerignore or requirements file changes what the files beside it mean (a YAML
            # file may be a compose file by content: it stands for itself).
            beside.add(directory)
    return _PathFilter(wanted, beside)


class _PathFilter(set):
    """Named paths, what is under a named directory, and the files beside a named support file
    (.env, .dockerignore, requirements.txt: compose files and Dockerfiles there depend on it)."""

    def __init__(self, wanted=(), beside=()) -> None:
        super().__init__(wanted)
        self.beside = frozenset(beside)

    def __contains__(self, path) -> bool:
        path = str(path)
        if set.__contains__(self, path):
            return True
        parent, sep, _ = path.rpartition("/")
        if parent in self.beside:
            return True
        while sep:
            if set.__contains__(self, parent):
                return True
            parent, sep, _ = parent.rpartition("/")
        return False


def _select(config, chosen: dict, severity_flags: dict):
    """--select / --extend-select / --ignore / --severity over one configuration's."""
    from types import MappingProxyType

    from composelint.config import with_overrides

    overrides = {}
    if "select" in chosen:
        # An explicit --select is a fresh selection: the file's lists no longer apply.
        overrides["select"] = chosen["select"]
        overrides["extend_select"] = chosen.get("extend_select", ())
        overrides["ignore"] = chosen.get("ignore", ())
    else:
        if "extend_select" in chosen:
            overrides["extend_select"] = config.extend_select + chosen["extend_select"]
        if "ignore" in chosen:
            overrides["ignore"] = config.ignore + chosen["ignore"]
    if severity_flags:
        overrides["severity"] = MappingProxyType({**config.severity, **severity_flags})
    return with_overrides(config, **overrides)


def _path_base(root: Path, config, given: Path | None) -> Path:
    """What machine formats' paths are relative to: --path-base, the configuration's `path-base`
    (relative to the project root), else the repository root (the nearest ancestor of the project
    root holding .git), else the project root. One base, however deep the run starts, so that
    annotations and code-scanning results name files as the repository has them."""
    if given is not None:
        return given.resolve()
    if config.path_base is not None:
        base = (root / config.path_base).resolve()
        if not base.is_dir():
            raise fail(f"invalid configuration: `path-base`: {config.path_base} is not a directory")
        return base
    for candidate in (root, *root.parents):
        if (candidate / ".git").exists():
            return candidate
    return root


MACHINE_FORMATS = ("json", "sarif", "github", "gitlab")


def display_paths(output_format: str, root: Path, base: Path, cwd: Path | None = None):
    """How the report prints a project-relative path.

    Machine formats: relative to the path base, whatever the current directory (stable in CI).
    Text and concise, for people and for editors' problem matchers (which run from the workspace
    folder): relative to the current directory, as ruff does, so a terminal or editor can open
    them from where the command ran; when the run starts outside the repository and the file is
    not below the current directory, relative to the path base instead.
    """
    import posixpath

    root_text, base_text = str(root), str(base)
    if root_text == base_text and output_format in MACHINE_FORMATS:
        return str  # the common case: nothing to translate
    if output_format not in MACHINE_FORMATS:
        cwd_text = str((cwd or Path.cwd()).resolve())
        inside = _is_within(cwd_text, base_text)
    cache: dict[str, str] = {}

    def display(path: str) -> str:
        shown = cache.get(path)
        if shown is None:
            full = os.path.join(root_text, path) if path else root_text
            target = base_text
            if output_format not in MACHINE_FORMATS and (inside or _is_within(full, cwd_text)):
                target = cwd_text
            shown = cache[path] = posixpath.normpath(os.path.relpath(full, target).replace(os.sep, "/"))
        return shown

    return display


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _use_color(choice: str, stream) -> bool:
    """--color wins; then NO_COLOR (no-color.org) and FORCE_COLOR (force-color.org), set to anything
    but the empty string; then whether the output is a terminal."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def _rule_docs(meta) -> str | None:
    from composelint.docs import rule_page

    return rule_page(meta)


def report_key(view: View, root: Path, color: bool) -> str | None:
    """Everything but the findings (and the texts they quote) that the text of a report depends on,
    as a key for the result cache to keep that text under; None for a report it must not keep.

    Paths print relative to the path base or the current directory (display_paths); the rule
    catalogue and version are part of the cache's own key. SARIF carries the rules' documentation
    pages, read from outside composelint's code (an editable install's rules/): never kept.
    """
    if view.format == "sarif" and not view.statistics:
        return None
    try:
        cwd = os.getcwd()
    except OSError:
        return None  # run from a deleted directory
    import json

    return json.dumps([view.format, view.statistics, view.show_suppressed, view.quiet, color, view.fixing.unsafe,
                       view.fixed, str(root), str(view.path_base), cwd])


def _report_color(view: View) -> bool:
    return _use_color(view.color, sys.stdout) if view.output_file is None else False


def _report(result, project, view: View, stored=None) -> None:
    """Write the report; ``stored``: a cache hit's reports printed before, by report_key."""
    color = _report_color(view)
    key = report_key(view, Path(project.root), color)
    text = stored(key) if stored is not None else None
    if text is None:
        text = _render(result, project, view, color)
    view.printed = (key, text)
    output_file = view.output_file
    if output_file is not None:
        write_output(output_file, text)
    else:
        sys.stdout.write(text)
        if text and not text.endswith("\n"):
            sys.stdout.write("\n")


def _prepare_report(view: View) -> None:
    """Import the reporter ahead of the report (while the engine waits for its forked rules)."""
    from composelint import reporters

    if view.statistics:
        from composelint.reporters import statistics  # noqa: F401
    else:
        reporters.prepare(view.format)


def _render(result, project, view: View, color: bool) -> str:
    from composelint import reporters

    diagnostics = list(result.diagnostics)
    if view.show_suppressed:
        diagnostics = sorted(diagnostics + list(result.suppressed), key=lambda d: d.sort_key())
    context = reporters.RenderContext(
        rules=result.rules, sources=project.sources, root=str(project.root), version=__version__,
        color=color, show_suppressed=view.show_suppressed, summary=not view.quiet, rule_docs=_rule_docs,
        baselined=0 if view.show_suppressed else sum(d.suppression == "baseline" for d in result.suppressed),
        unsafe_fixes=view.fixing.unsafe, fixed=view.fixed,
        display=display_paths(view.format, Path(project.root), view.path_base or Path(project.root)))
    if view.statistics:
        from composelint.reporters.statistics import render_statistics

        return render_statistics(result.diagnostics, context, view.format)
    return reporters.render(view.format, diagnostics, context)


def check_output_file(path: Path | None) -> None:
    """Before any work: a report that cannot be written is a usage error, not a late internal error."""
    if path is None:
        return
    parent = path.absolute().parent
    if not parent.is_dir():
        raise fail(f"cannot write {path}: the directory {parent} does not exist")


def write_output(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None
