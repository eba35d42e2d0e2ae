"""Command line: the click declarations; the `check` pipeline (configuration, run, report) is checking.py.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 usage or configuration error, an internal error (one line, no traceback
unless --debug) or a fix not written (composelint/fixcli.py); 130 interrupted; 141 standard output closed early
(``composelint | head``), silently, as a process killed by SIGPIPE.
"""

from __future__ import annotations

import os
import sys
import typing
from pathlib import Path

import click

from composelint import __version__, fixcli
from composelint.checking import (EXIT_CLEAN, EXIT_FINDINGS, View, check_output_file, collector_paused, fail,
                                  run_check, write_output)

FORMATS = ("text", "concise", "json", "sarif", "github", "gitlab")
STATISTICS_FORMATS = ("text", "json")
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
        raise fail(f"--statistics prints {' or '.join(STATISTICS_FORMATS)}, not {output_format}")
    view = View(output_format, output_file, show_suppressed, color, statistics, quiet)
    view.path_base, view.fixing = path_base, fixcli.fixing_of(fix_flags, write_baseline, fail)
    if fail_on == "never":
        fail_on, exit_zero = None, True
    try:
        with collector_paused():
            code = run_check(paths, view, config_path, select, extend_select, ignore, severities, fail_on,
                             no_inline_ignores, stdin_filename, use_environment, debug, baseline_path, write_baseline,
                             no_cache=no_cache or view.fixing.enabled, env_files=env_files)
    except (click.exceptions.Exit, BrokenPipeError):
        raise
    except Exception as exc:  # the promise: one line, never a traceback
        if debug:
            raise
        raise fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)") from None
    raise click.exceptions.Exit(EXIT_CLEAN if exit_zero and code == EXIT_FINDINGS else code)


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
        raise fail(f"no command is named `{command}` (commands: {', '.join(sorted(group.commands))})")
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
            raise fail(f"--family {family}: no such family (families: {known})")
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
        raise fail(f"no rule has the code or name `{key}` (see `composelint rules`)")
    text = rule_page(meta)
    if text is None:
        raise fail(f"the documentation page {meta.page} is not installed")
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
    check_output_file(output_file)
    try:
        text = _graph(path, output_format, deployment_name, config_path, use_environment)
    except click.exceptions.Exit:
        raise
    except Exception as exc:  # one line, never a traceback
        if debug:
            raise
        raise fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)") from None
    if output_file is not None:
        write_output(output_file, text)
    else:
        sys.stdout.write(text)


@cli.command("server")
def server_command() -> None:
    """Run the language server on standard input and output (for editors; see docs/editors.md).

    Needs the `lsp` extra: pip install 'composelint[lsp]'.
    """
    from composelint.server import INSTALL_HINT, missing_dependency, serve

    missing = missing_dependency()
    if missing is not None:
        raise fail(f"{INSTALL_HINT} ({missing} is not installed)")
    serve()


def _project(path, config_path, use_environment):
    """The project at ``path`` (default: the current directory) and its configuration, for the
    commands that show the model rather than lint it."""
    from composelint.config import ConfigError, load_config, with_nested, with_overrides
    from composelint.assembly.discovery import find_project_root
    from composelint.assembly.project import build_project

    target = path if path is not None else Path.cwd()
    if not target.exists():
        raise fail(f"{target}: no such file or directory")
    root = find_project_root(target)
    try:
        config = load_config(root, config_path)
        if use_environment:
            config = with_overrides(config, use_environment=True)
        config, fileset = with_nested(root, config, explicit=config_path is not None)
    except (ConfigError, ValueError) as exc:
        raise fail(f"invalid configuration: {exc}") from None
    return build_project(root, config, None, fileset), config


def _graph(path, output_format, deployment_name, config_path, use_environment) -> str:
    from composelint.graph import graph_of
    from composelint.reporters.graph import render_graph

    project, config = _project(path, config_path, use_environment)
    graph = graph_of(project)
    if deployment_name is not None and deployment_name not in graph.scopes:
        known = ", ".join(f"`{name}`" for name in graph.scopes) or "none"
        raise fail(f"no deployment is named `{deployment_name}` (deployments: {known})")
    if output_format == "html":
        from composelint.engine import run
        from composelint.reporters.graph_html import render_html

        return render_html(graph, run(project, config).diagnostics, deployment_name)
    return render_graph(graph, output_format, deployment_name)


def main(argv=None) -> None:
    import gc

    # The console command is one short run that ends in os._exit: no cyclic collection at
    # all. Re-enabling it after a large run (as ``collector_paused`` does for callers that
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
