"""Command line: parse arguments, load config, run, report, exit. No analysis here.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 usage or configuration error, an internal error (one line, no traceback
unless --debug) or a fix not written (composelint/fixcli.py); 130 interrupted; 141 standard output closed early
(``composelint | head``), silently, as a process killed by SIGPIPE.
"""

from __future__ import annotations

import contextlib
import os
import sys
import typing
from pathlib import Path

import click

from composelint import __version__, fixcli

FORMATS = ("text", "concise", "json", "sarif", "github", "gitlab")
STATISTICS_FORMATS = ("text", "json")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# What a shell reports for a process that SIGPIPE ended (128 + 13). Neither 0 nor 1: the reader
# stopped before the end of the report, so whether it was clean is unknown.
EXIT_BROKEN_PIPE = 141


class _DefaultToCheck(click.Group):
    """``composelint PATHS`` means ``composelint check PATHS``, as in ruff's early days and yamllint."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version", "-V")):
            args = ["check", *args]
        try:  # --help and --version print while the arguments are parsed
            return super().parse_args(ctx, args)
        except BrokenPipeError:
            _stdout_closed()

    def invoke(self, ctx):
        # Ctrl-C: one line and 130, not click's "Aborted!" with exit 1 (which means "findings").
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("composelint: interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            _stdout_closed()

    # The top-level help shows the default command's options too: `composelint --help` is where
    # people look for --format or --baseline, not `composelint check --help`.
    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, "[OPTIONS] [PATHS]...")
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")

    def format_options(self, ctx, formatter):
        check_command = self.commands["check"]
        with click.Context(check_command, info_name="check", parent=ctx) as check_ctx:
            rows = [param.get_help_record(check_ctx) for param in check_command.get_params(check_ctx)
                    if isinstance(param, click.Option) and "--help" not in param.opts]
        rows += [param.get_help_record(ctx) for param in self.get_params(ctx)]
        rows = [row for row in rows if row is not None]
        with formatter.section("Options (of `check`, the default command)"):
            formatter.write_dl(rows)
        self.format_commands(ctx, formatter)


def _fail(message: str) -> "click.exceptions.Exit":
    # One line, whatever the message quotes (a config key or a path may hold a line break).
    message = message.replace("\r", "\\r").replace("\n", "\\n")
    click.echo(f"composelint: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_ERROR)


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="composelint", message="%(prog)s %(version)s")
def cli() -> None:
    """Lint Docker Compose files and Dockerfiles before they take a deployment down.

    Run `composelint PATH` (the same as `composelint check PATH`) on a repository.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default=None,
              help="Output format (default: text).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to a file instead of standard output.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: .composelint.yaml or [tool.composelint] in pyproject.toml at the root).")
@click.option("--select", help="Comma-separated codes, prefixes or names to enable (replaces the config's).")
@click.option("--extend-select", help="Codes to enable in addition to the selection.")
@click.option("--ignore", help="Comma-separated codes, prefixes or names to disable.")
@click.option("--severity", "severities", multiple=True, metavar="CODE=LEVEL",
              help="Override a rule's severity (error, warning, info); repeatable.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Lowest severity that makes the exit code 1 (default: warning; never: always 0).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (as --fail-on never).")
@click.option("--statistics", is_flag=True,
              help="Print how many findings each rule has instead of the findings (text or json).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print the findings and nothing else: no summary line, no notes on standard error.")
@click.option("--show-suppressed", is_flag=True, help="Also report suppressed findings (marked as such).")
@click.option("--no-inline-ignores", is_flag=True, help="Disregard `# composelint: ignore[...]` comments.")
@click.option("--stdin-filename", type=str, default=None,
              help="Read the file's contents from standard input, as if they were at this path (for editors).")
@click.option("--use-environment", is_flag=True,
              help="Let this machine's environment variables feed compose interpolation (off: results do not "
                   "depend on who runs the lint).")
@click.option("--env-file", "env_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Interpolate with this env file as the deployment environment, as Compose's --env-file "
                   "(repeatable, a later file wins; replaces the configuration's `env-file`).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              help="Colour in text output (auto: on a terminal, or when FORCE_COLOR is set; never when "
                   "NO_COLOR is set).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Report only findings not recorded in this baseline file (see --write-baseline).")
@click.option("--write-baseline", "write_baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Record the current findings in this file and exit 0; later runs with --baseline FILE "
                   "report only new findings.")
@click.option("--no-cache", is_flag=True,
              help="Do not reuse or record results in .composelint_cache/ (also: COMPOSELINT_NO_CACHE=1).")
@click.option("--path-base", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Directory that paths in json, sarif, github and gitlab output are relative to (default: the "
                   "repository root, the nearest ancestor holding .git; text and concise print paths relative "
                   "to the current directory).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@fixcli.options
def check(paths, output_format, output_file, config_path, select, extend_select, ignore, severities, fail_on,
          exit_zero, statistics, quiet, show_suppressed, no_inline_ignores, stdin_filename, use_environment, color,
          baseline_path, write_baseline, debug, no_cache=False, env_files=(), path_base=None, **fix_flags) -> None:
    """Lint a repository (default: the current directory)."""
    output_format = output_format or "text"
    if statistics and output_format not in STATISTICS_FORMATS:
        raise _fail(f"--statistics prints {' or '.join(STATISTICS_FORMATS)}, not {output_format}")
    view = _View(output_format, output_file, show_suppressed, color, statistics, quiet)
    view.path_base, view.fixing = path_base, fixcli.fixing_of(fix_flags, write_baseline, _fail)
    if fail_on == "never":
        fail_on, exit_zero = None, True
    try:
        with _collector_paused():
            code = _check(paths, view, config_path, select, extend_select, ignore, severities, fail_on,
                          no_inline_ignores, stdin_filename, use_environment, debug, baseline_path, write_baseline,
                          no_cache=no_cache or view.fixing.enabled, env_files=env_files)
    except (click.exceptions.Exit, BrokenPipeError):
        raise
    except Exception as exc:  # the promise: one line, never a traceback
        if debug:
            raise
        raise _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)") from None
    raise click.exceptions.Exit(EXIT_CLEAN if exit_zero and code == EXIT_FINDINGS else code)


class _View:
    """How the report is shown: format, destination and what besides the findings is printed."""

    def __init__(self, output_format, output_file, show_suppressed, color, statistics=False, quiet=False):
        self.format, self.output_file, self.show_suppressed = output_format, output_file, show_suppressed
        self.color, self.statistics, self.quiet = color, statistics, quiet
        self.path_base: Path | None = None  # --path-base; then the configuration's, then the repository root
        self.fixing, self.fixed = fixcli.NO_FIX, None  # --fix and its kin; how many fixes were applied

    def note(self, message: str) -> None:
        """A line for people on standard error; --quiet leaves only the findings."""
        if not self.quiet:
            click.echo(f"composelint: {message}", err=True)


def _stdout_closed() -> "typing.NoReturn":
    """The reader of standard output went away (``composelint | head -1``): stop quietly.

    As the Python documentation's note on SIGPIPE does: point standard output at /dev/null so
    that the interpreter's final flush cannot fail a second time, then leave without a message.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # a stream without a descriptor (a test harness): nothing left to flush into the pipe
    raise click.exceptions.Exit(EXIT_BROKEN_PIPE)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _check(paths, view, config_path, select, extend_select, ignore, severities, fail_on, no_inline_ignores,
           stdin_filename, use_environment, debug, baseline_path=None, write_baseline=None, no_cache=False,
           env_files=()) -> int:
    from types import MappingProxyType

    from composelint.config import ConfigError, load_config, with_nested, with_overrides
    from composelint.diagnostics import Severity
    from composelint.assembly.discovery import find_project_root
    from composelint.rules import resolve_codes, rule_by_key

    _check_output_file(view.output_file)
    targets = [Path(p) for p in paths] or [Path.cwd()]
    for target in targets:
        if not target.exists() and stdin_filename is None:
            raise _fail(f"{target}: no such file or directory")
    start = Path(stdin_filename) if stdin_filename is not None and not paths else targets[0]
    start = start.absolute()
    while not start.exists() and start.parent != start:
        start = start.parent  # an editor buffer not saved yet, maybe in a directory not created yet
    root = find_project_root(start)
    try:
        config = load_config(root, config_path)
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
        config, fileset = with_nested(root, config, explicit=config_path is not None)
        # The command line's selection wins over every configuration, nested ones included (as ruff's).
        config = _select(config, chosen, severity_flags)
        if config.nested:
            config = with_overrides(config, nested=MappingProxyType(
                {directory: _select(nested, chosen, severity_flags) for directory, nested in config.nested.items()}))
    except (ConfigError, ValueError) as exc:
        raise _fail(f"invalid configuration: {exc}") from None
    view.path_base = _path_base(root, config, view.path_base)

    stdin_overrides = {}
    # Without a path, the current directory: `cd services/api && composelint` reports what
    # `composelint services/api` reports from the root, on the same model.
    only_paths = _only_paths(root, targets if paths or stdin_filename is None else [])
    if stdin_filename is not None:
        rel = _relative(root, Path(stdin_filename))
        if rel is None:
            raise _fail(f"--stdin-filename {stdin_filename}: the path is outside the project root {root}")
        data = sys.stdin.buffer.read(config.limits.max_file_size + 1)  # over the limit: CL007, unread rest
        stdin_overrides[rel] = data.decode("utf-8", "surrogateescape")
        only_paths = {rel}

    from composelint.engine import run
    from composelint.assembly.project import build_project

    baseline = None
    if baseline_path is not None and write_baseline is None:
        from composelint.baseline import Baseline, BaselineError

        try:
            baseline = Baseline.load(baseline_path)
        except BaselineError as exc:
            raise _fail(str(exc)) from None
    cache = None
    # An env file outside the project is not among the files a cached run is checked against.
    outside = any(os.path.isabs(path) for path in config.env_files)
    if not (no_cache or outside or stdin_overrides or baseline is not None or write_baseline is not None or debug
            or _disabled_by_environment("COMPOSELINT_NO_CACHE")):
        from composelint.cache import RunCache

        cache = RunCache.for_run(root, config, {"only": _filter_key(only_paths)})
    if cache is not None:
        from composelint.cache import fileset_digest

        fileset_hash = fileset_digest(fileset)
        hit = cache.load(fileset_hash)
        if hit is not None:  # nothing the previous run read has changed: its findings stand
            from composelint.engine import RunResult, enabled_rules

            result = RunResult(hit.diagnostics, hit.suppressed, enabled_rules(config))
            linted = stdin_overrides or _linted(fileset.compose + fileset.dockerfiles, only_paths)
            return _finish(result, hit, view, config, linted, paths)
    if view.fixing.enabled:
        return fixcli.run(root, config, view, only_paths, baseline, stdin_overrides,
                          lambda result, project, linted: _finish(result, project, view, config, linted, paths), _fail)
    from composelint.assembly.discovery import observing

    with observing() if cache is not None else contextlib.nullcontext([]) as observed:
        project = build_project(root, config, stdin_overrides, fileset)
        if baseline is not None:
            baseline = baseline.bind(project.read_text)
        result = run(project, config, only_paths=only_paths, baseline=baseline, debug=debug,
                     fork=False if _disabled_by_environment("COMPOSELINT_NO_FORK") else None)
    if cache is not None:
        cache.store(fileset_hash, observed, project, result)
    if write_baseline is not None:
        return _write_baseline(write_baseline, result, project, view)
    linted = stdin_overrides or _linted([*project.compose_files, *project.dockerfiles], only_paths)
    code = _finish(result, project, view, config, linted, paths)
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


def _linted(paths, only_paths) -> list[str]:
    """The compose files and Dockerfiles the run reports on."""
    return [path for path in paths if only_paths is None or path in only_paths]


def _finish(result, project, view: _View, config, linted, paths) -> int:
    """Report and return the exit code; a run with nothing to lint says so instead of "All checks passed"."""
    if linted or result.diagnostics or result.suppressed:
        _report(result, project, view)
        return result.exit_code(config.fail_on)
    # Files named one by one (pre-commit passes every changed YAML file) that are not compose
    # files are simply not ours: only a directory with nothing to lint deserves the warning.
    if not paths or any(Path(path).is_dir() for path in paths):
        where = ", ".join(str(path) for path in paths) or "the current directory"
        view.note(f"warning: nothing to lint: no compose file or Dockerfile under {where}")
    if view.statistics or view.format not in ("text", "concise"):
        _report(result, project, view)  # a machine still gets a well-formed, empty report
    elif view.output_file is not None:
        _write_output(view.output_file, "")
    return EXIT_CLEAN


def _env_file_path(root: Path, path: Path) -> str:
    """An --env-file as the project sees it: relative to the root when inside it, else absolute."""
    rel = _relative(root, path)
    return rel if rel is not None else str(path.resolve())


def _disabled_by_environment(variable: str) -> bool:
    """``COMPOSELINT_NO_CACHE`` / ``COMPOSELINT_NO_FORK`` set to anything but empty, 0, false, no or off."""
    value = os.environ.get(variable, "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


@contextlib.contextmanager
def _collector_paused():
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


def _write_baseline(path: Path, result, project, view: _View) -> int:
    from composelint.baseline import BaselineError, write

    try:
        count = write(path, result.diagnostics, project.read_text)
    except BaselineError as exc:
        raise _fail(str(exc)) from None
    view.note(f"recorded {count} finding(s) in {path}")
    return EXIT_CLEAN


def _relative(root: Path, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _only_paths(root: Path, targets: list[Path]) -> set[str] | None:
    """Files and directories named on the command line narrow what is reported, not what is modelled."""
    from composelint.assembly.discovery import is_compose_name, is_dockerfile_name, yaml_candidate_kind

    if not targets:
        return None
    wanted: set[str] = set()
    beside: set[str] = set()
    for target in targets:
        rel = _relative(root, target)
        if rel is None:
            raise _fail(f"{target}: the path is outside the project root {root}")
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
            raise _fail(f"invalid configuration: `path-base`: {config.path_base} is not a directory")
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


def _report(result, project, view: _View) -> None:
    from composelint import reporters

    diagnostics = list(result.diagnostics)
    if view.show_suppressed:
        diagnostics = sorted(diagnostics + list(result.suppressed), key=lambda d: d.sort_key())
    context = reporters.RenderContext(
        rules=result.rules, sources=project.sources, root=str(project.root), version=__version__,
        color=_use_color(view.color, sys.stdout) if view.output_file is None else False,
        show_suppressed=view.show_suppressed, summary=not view.quiet, rule_docs=_rule_docs,
        baselined=0 if view.show_suppressed else sum(d.suppression == "baseline" for d in result.suppressed),
        unsafe_fixes=view.fixing.unsafe, fixed=view.fixed,
        display=display_paths(view.format, Path(project.root), view.path_base or Path(project.root)))
    if view.statistics:
        from composelint.reporters.statistics import render_statistics

        text = render_statistics(result.diagnostics, context, view.format)
    else:
        text = reporters.render(view.format, diagnostics, context)
    output_file = view.output_file
    if output_file is not None:
        _write_output(output_file, text)
    else:
        sys.stdout.write(text)
        if text and not text.endswith("\n"):
            sys.stdout.write("\n")


@cli.command("version")
def show_version() -> None:
    """Print composelint's version (as --version)."""
    click.echo(f"composelint {__version__}")


@cli.command("help")
@click.argument("command", required=False)
@click.pass_context
def show_help(ctx, command) -> None:
    """Show this help, or a command's (`composelint help check`)."""
    group = ctx.parent.command
    if command is None:
        click.echo(group.get_help(ctx.parent))
        return
    chosen = group.commands.get(command)
    if chosen is None:
        raise _fail(f"no command is named `{command}` (commands: {', '.join(sorted(group.commands))})")
    with click.Context(chosen, info_name=command, parent=ctx.parent) as command_ctx:
        click.echo(chosen.get_help(command_ctx))


@cli.command("deployments")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: .composelint.yaml or [tool.composelint] in pyproject.toml at the root).")
@click.option("--use-environment", is_flag=True,
              help="Let this machine's environment variables feed compose interpolation.")
def list_deployments(path, output_format, config_path, use_environment) -> None:
    """List the deployments found: files, profiles, where each was found, and its services."""
    from composelint.reporters.deployments import render_deployments

    project, _config = _project(path, config_path, use_environment)
    click.echo(render_deployments(project, output_format).rstrip("\n"))


@cli.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.option("--family", default=None, metavar="FAMILY",
              help="Only one family, by digit or name: 0 input, 1 deployment graph, 2 start command, "
                   "3 service configuration, 4 image build.")
def list_rules(output_format: str, family: str | None) -> None:
    """List every rule: code, name, default severity, summary."""
    from composelint.docs import rules_listing
    from composelint.rules import OPT_IN, RULES
    from composelint.rules._rule import FAMILIES

    metas = list(RULES.values())
    if family is not None:
        wanted = family.strip().lower().replace("-", " ")
        digit = wanted if wanted in FAMILIES else next((d for d, name in FAMILIES.items() if name == wanted), None)
        if digit is None:
            known = ", ".join(f"{d} ({name})" for d, name in FAMILIES.items())
            raise _fail(f"--family {family}: no such family (families: {known})")
        metas = [meta for meta in metas if meta.code[2] == digit]
    click.echo(rules_listing(metas, output_format, OPT_IN))


@cli.command("rule")
@click.argument("key")
def show_rule(key: str) -> None:
    """Print a rule's documentation page (by code or name)."""
    from composelint.docs import rule_page
    from composelint.rules import rule_by_key

    meta = rule_by_key(key)
    if meta is None:
        raise _fail(f"no rule has the code or name `{key}` (see `composelint rules`)")
    text = rule_page(meta)
    if text is None:
        raise _fail(f"the documentation page {meta.page} is not installed")
    click.echo(text.rstrip("\n"))


@cli.command("config-schema")
def print_config_schema() -> None:
    """Print the configuration's JSON Schema (for editors and yaml-language-server)."""
    from composelint.datafiles import DATA_DIR

    with open(f"{DATA_DIR}/composelint.schema.json", encoding="utf-8") as stream:
        click.echo(stream.read().rstrip("\n"))


@cli.command("graph")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["dot", "mermaid", "json", "html"]), default="mermaid",
              help="dot (Graphviz), mermaid (renders in GitHub pull requests and issues), json, or html (one "
                   "self-contained page: the layered graph and each service's findings) (default: mermaid).")
@click.option("--deployment", "deployment_name", default=None, metavar="NAME",
              help="Draw one deployment only (see `composelint graph --format json` for the names).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the graph to a file instead of standard output.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Configuration file (default: .composelint.yaml or [tool.composelint] in pyproject.toml at the "
                   "root).")
@click.option("--use-environment", is_flag=True,
              help="Let this machine's environment variables feed compose interpolation.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def graph_command(path, output_format, deployment_name, output_file, config_path, use_environment, debug) -> None:
    """Draw the deployment graph: services, dependencies, host references; undefined and undeployed
    services are dashed and red."""
    _check_output_file(output_file)
    try:
        text = _graph(path, output_format, deployment_name, config_path, use_environment)
    except click.exceptions.Exit:
        raise
    except Exception as exc:  # one line, never a traceback
        if debug:
            raise
        raise _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)") from None
    if output_file is not None:
        _write_output(output_file, text)
    else:
        sys.stdout.write(text)


def _check_output_file(path: Path | None) -> None:
    """Before any work: a report that cannot be written is a usage error, not a late internal error."""
    if path is None:
        return
    parent = path.absolute().parent
    if not parent.is_dir():
        raise _fail(f"cannot write {path}: the directory {parent} does not exist")


def _write_output(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror or exc}") from None


@cli.command("server")
def server_command() -> None:
    """Run the language server on standard input and output (for editors; see docs/editors.md).

    Needs the `lsp` extra: pip install 'composelint[lsp]'.
    """
    from composelint.server import INSTALL_HINT, missing_dependency, serve

    missing = missing_dependency()
    if missing is not None:
        raise _fail(f"{INSTALL_HINT} ({missing} is not installed)")
    serve()


def _project(path, config_path, use_environment):
    """The project at ``path`` (default: the current directory) and its configuration, for the
    commands that show the model rather than lint it."""
    from composelint.config import ConfigError, load_config, with_nested, with_overrides
    from composelint.assembly.discovery import find_project_root
    from composelint.assembly.project import build_project

    target = path if path is not None else Path.cwd()
    if not target.exists():
        raise _fail(f"{target}: no such file or directory")
    root = find_project_root(target)
    try:
        config = load_config(root, config_path)
        if use_environment:
            config = with_overrides(config, use_environment=True)
        config, fileset = with_nested(root, config, explicit=config_path is not None)
    except (ConfigError, ValueError) as exc:
        raise _fail(f"invalid configuration: {exc}") from None
    return build_project(root, config, None, fileset), config


def _graph(path, output_format, deployment_name, config_path, use_environment) -> str:
    from composelint.graph import graph_of
    from composelint.reporters.graph import render_graph

    project, config = _project(path, config_path, use_environment)
    graph = graph_of(project)
    if deployment_name is not None and deployment_name not in graph.scopes:
        known = ", ".join(f"`{name}`" for name in graph.scopes) or "none"
        raise _fail(f"no deployment is named `{deployment_name}` (deployments: {known})")
    if output_format == "html":
        from composelint.engine import run
        from composelint.reporters.graph_html import render_html

        return render_html(graph, run(project, config).diagnostics, deployment_name)
    return render_graph(graph, output_format, deployment_name)


def main(argv=None) -> None:
    import gc

    # The console command is one short run that ends in os._exit: no cyclic collection at
    # all. Re-enabling it after a large run (as ``_collector_paused`` does for callers that
    # live on) triggers one full pass over the whole model: ~1.7 s at 10,000 services.
    gc.disable()
    try:
        cli.main(args=argv, prog_name="composelint", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("composelint: interrupted", err=True)
        sys.exit(130)
    except SystemExit as done:
        _exit_now(done)
        raise


def _exit_now(done: SystemExit) -> None:
    """End the process without tearing the model down object by object.

    Freeing a large model at interpreter exit costs seconds (~3 s of a 10,000-service run)
    for memory the OS reclaims at once. Only the console entry point does this, after
    flushing the output; anything unusual (a message as exit code, a closed pipe) takes the
    normal way out, and so does a run under a profiler or a coverage tool.
    """
    code = done.code
    if code is not None and not isinstance(code, int) or sys.getprofile() is not None or sys.gettrace() is not None:
        return  # a profiler or coverage tool writes its data at exit
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the last part of the report: the reader is gone
        try:
            _stdout_closed()
        except click.exceptions.Exit as closed:
            code = closed.exit_code
    except (OSError, ValueError):
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code or 0)
