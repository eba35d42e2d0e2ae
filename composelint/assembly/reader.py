"""The state of one assembly: each file read once (its problems recorded), and the interpolation
environment of each directory and deployment (``.env``, env files, the configuration's ``env``,
example env files when no ``.env`` is committed).
"""

from __future__ import annotations

import os
from dataclasses import field
from pathlib import Path
from typing import Mapping

from composelint.assembly.discovery import FileSet
from composelint.assembly.reading import ReadResult, decode, note, probe_is_file, read_text
from composelint.settings import Config
from composelint.diagnostics import Position, Severity, Span
from composelint.model import ParseProblem
from composelint.records import record
from composelint.relpaths import dirname


@record
class ProjectReader:
    """Mutable state while the project is assembled; the result is frozen."""

    root: Path
    config: Config
    overrides: Mapping[str, str]  # path -> text that replaces the file (stdin buffers)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[ParseProblem] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    # Problems that depend on the environment a file is interpolated with (CL005, and CL002 on the
    # interpolated values), per (file, environment key). A file that deployments use reports those
    # of the environments they interpolate it with; any other file, those of its own directory's.
    env_problems: dict[tuple, list] = field(default_factory=dict)
    # (file, environment key) -> (interpolated root, blanked spans) whose schema check waits for env_problems
    unvalidated: dict[tuple, tuple] = field(default_factory=dict)
    default_env: dict[str, tuple] = field(default_factory=dict)  # file -> key of its own environment
    used_envs: dict[str, set] = field(default_factory=dict)  # file -> keys deployments (and variants) used
    deployed_paths: set = field(default_factory=set)  # files a real deployment read, not only a variant
    env_objects: dict = field(default_factory=dict)  # cache of merge.Environment objects
    # (id of a raw root, Environment.values_key) -> (that root, it interpolated, the issues met): see
    # compose_files.interpolate_root
    interpolations: dict = field(default_factory=dict)
    quiet_failed: set[str] = field(default_factory=set)
    realpaths: dict = field(default_factory=dict)  # directory -> resolved, for this build's reads
    dotenvs: dict = field(default_factory=dict)  # relpath -> its parsed dotenv.Dotenv
    # id() of CL005 problems for a required variable missing from a known environment: errors only in a
    # file some deployment runs
    required_known: set = field(default_factory=set)
    empty_files: dict = field(default_factory=dict)  # relpath -> its CL001, reported per deployment
    parsed: object = None  # a composelint.parsecache.ParseCache kept between builds, or None
    yaml_ahead: object = None  # a composelint.parsers.yaml_ahead.YamlAhead while compose files load, or None

    def _fetch(self, relpath: str) -> ReadResult:
        if relpath in self.overrides:
            return _override_result(self.overrides[relpath], self.config.limits.max_file_size)
        if self.parsed is not None:  # the language server's session: unchanged files are not read again
            return self.parsed.read(self.root, relpath, self.config.limits.max_file_size, self.realpaths)
        return read_text(self.root, relpath, self.config.limits.max_file_size, self.realpaths)

    def read(self, relpath: str, code_for_io: str = "CL006") -> str | None:
        if relpath in self.sources:
            return self.sources[relpath]
        if relpath in self.failed:
            return None
        result = self._fetch(relpath)
        if result.text is None:
            self.failed.add(relpath)
            self.problems.append(_read_problem(relpath, result, code_for_io))
            return None
        self.sources[relpath] = result.text
        return result.text

    def read_quiet(self, relpath: str) -> str | None:
        """A file the model only looks into (automation): no problem when it cannot be read."""
        if relpath in self.sources:
            return self.sources[relpath]
        if relpath in self.failed or relpath in self.quiet_failed:
            return None
        result = self._fetch(relpath)
        if result.text is None:
            self.quiet_failed.add(relpath)
            return None
        self.sources[relpath] = result.text
        return result.text

    def environment(self, directory: str):
        """The interpolation environment of ``directory`` (its .env, config env, opt-in os.environ)."""
        from composelint.assembly.loader import Environment

        key = ("dir", directory)
        if key not in self.env_objects:
            dotenv = f"{directory}/.env" if directory else ".env"
            values = dotenv_file_values(self, dotenv)
            known = dotenv_exists(self, dotenv) or environment_given(self)
            examples: tuple[str, ...] = ()
            if not known:
                examples, values = example_env_values(self, directory, ())
            self.env_objects[key] = Environment.of(with_config_env(self, values), known, examples)
        return self.env_objects[key]

    def dotenv(self, relpath: str, text: str):
        """The dotenv file ``relpath`` parsed once for its values and for the deployment planning;
        ``text`` is its text as the loader read it (a file is read once, so always the same)."""
        if relpath not in self.dotenvs:
            from composelint.parsers.dotenv import parse_dotenv

            self.dotenvs[relpath] = parse_dotenv(text, self.config.env.get)
        return self.dotenvs[relpath]


def _override_result(text: str, max_bytes: int) -> ReadResult:
    """Text given instead of a file (standard input): its original bytes, within the size limit."""
    try:
        data = text.encode("utf-8", "surrogateescape")  # undecodable stdin bytes come back as they were
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        return ReadResult(None, f"the input is over the {max_bytes:,}-byte limit; raise `limits.max-file-size` "
                                "to lint it", kind="limit")
    return decode(data)


def _read_problem(relpath: str, result: ReadResult, code_for_content: str) -> ParseProblem:
    code = "CL007" if result.kind == "limit" else ("CL006" if result.kind == "io" else code_for_content)
    help_text = {
        "CL007": "composelint bounds what it reads so that a hostile file cannot exhaust memory",
        "CL006": "make the file readable, or exclude it with `exclude` in the configuration",
    }.get(code, "a compose file or Dockerfile must be UTF-8 text")
    return ParseProblem(code, result.error or "cannot read the file",
                        Span(relpath, Position(result.line, result.column)), help_text)


def with_config_env(loader: ProjectReader, values: dict[str, str]) -> dict[str, str]:
    """What interpolation sees: ``values`` (of a .env or --env-files), overridden by the configured env
    files (`env-file`, `--env-file`), then by config `env`, then by os.environ (opt-in)."""
    values.update(configured_env_file_values(loader))
    values.update(loader.config.env)
    if loader.config.use_environment:
        values.update(os.environ)
    return values


# Where a repository that keeps its .env out of version control (the recommended practice) documents
# the variables instead, beside where the .env would be.
EXAMPLE_ENV_NAMES = (".env.example", ".env.sample", ".env.dist", ".env.template", "example.env", "env.example",
                     "sample.env")
_EXAMPLE_SUFFIXES = (".example", ".sample", ".dist", ".template")


def environment_given(loader: ProjectReader) -> bool:
    """Whether the user told composelint the deployment environment (so every file's is known)."""
    config = loader.config
    return bool(config.env or config.env_files or config.use_environment)


def dotenv_exists(loader: ProjectReader, relpath: str) -> bool:
    key = ("dotenv-exists", relpath)
    if key not in loader.env_objects:
        exists = relpath in loader.overrides or probe_is_file(loader.root, relpath)
        note("is_file", relpath, exists)
        loader.env_objects[key] = exists
    return loader.env_objects[key]


def example_env_values(loader: ProjectReader, directory: str,
                       env_files: tuple[str, ...]) -> tuple[tuple[str, ...], dict]:
    """The example env files that stand in for an uncommitted .env (or env file), and their values
    (the first file that defines a variable wins)."""
    prefix = f"{directory}/" if directory else ""
    candidates = [path + suffix for path in env_files for suffix in _EXAMPLE_SUFFIXES]
    candidates += [prefix + name for name in EXAMPLE_ENV_NAMES]
    found: list[str] = []
    values: dict[str, str] = {}
    for relpath in dict.fromkeys(candidates):
        if not dotenv_exists(loader, relpath):
            continue
        text = loader.read_quiet(relpath)
        if text is None:
            continue
        found.append(relpath)
        for key, value in loader.dotenv(relpath, text).values().items():
            values.setdefault(key, value)
    return tuple(found), values


def configured_env_file_values(loader: ProjectReader) -> dict[str, str]:
    """The variables of the configuration's `env-file`s and `--env-file`s, in order (a later file wins)."""
    key = ("configured-env-files",)
    if key not in loader.env_objects:
        values: dict[str, str] = {}
        for path in loader.config.env_files:
            if os.path.isabs(path):
                values.update(_outside_env_file_values(loader, path))
            elif dotenv_exists(loader, path):
                values.update(dotenv_file_values(loader, path))
            else:
                loader.problems.append(ParseProblem(
                    "CL008", f"env file `{path}` (named by `env-file` in the configuration) does not exist: "
                             "interpolation goes on without it", Span(loader.config.source or ".", Position(1, 1)),
                    "fix the path (relative to the project root) or remove the entry"))
        loader.env_objects[key] = values
    return dict(loader.env_objects[key])


def _outside_env_file_values(loader: ProjectReader, path: str) -> dict[str, str]:
    """An env file given on the command line outside the project (a CI secret file): read as data."""
    from composelint.parsers.dotenv import parse_dotenv

    try:
        with open(path, "rb") as stream:
            data = stream.read(loader.config.limits.max_file_size + 1)
    except OSError:
        return {}
    if len(data) > loader.config.limits.max_file_size:
        return {}
    return dict(parse_dotenv(data.decode("utf-8", "replace"), loader.config.env.get).values())


def dotenv_file_values(loader: ProjectReader, relpath: str) -> dict[str, str]:
    """The variables one dotenv file defines (empty when absent); its problems are reported once."""
    key = ("dotenv-file", relpath)
    cached = loader.env_objects.get(key)
    if cached is not None:
        return dict(cached)
    values: dict[str, str] = {}
    exists = probe_is_file(loader.root, relpath)
    note("is_file", relpath, exists)  # recorded for composelint.cache: a .env appearing changes results
    if exists or relpath in loader.overrides:
        text = loader.read(relpath)
        if text is not None:
            parsed = loader.dotenv(relpath, text)
            values.update(parsed.values())
            for problem, severity in [(p, None) for p in parsed.problems] + [
                    (w, Severity.WARNING) for w in parsed.warnings]:
                loader.problems.append(ParseProblem(
                    "CL005", problem.message,
                    Span(relpath, Position(problem.line, problem.column)),
                    "Compose's dotenv syntax is KEY=value, with optional quotes and `${VAR}` references",
                    severity=severity))
    loader.env_objects[key] = values
    return dict(values)


def env_file_values(loader: ProjectReader, env_files: tuple[str, ...]) -> dict[str, str]:
    """Variables of ``--env-file``s, in order (a later file wins)."""
    values: dict[str, str] = {}
    for relpath in env_files:
        values.update(dotenv_file_values(loader, relpath))
    return values


def plan_environment(loader: ProjectReader, plan):
    """What interpolates a deployment: its --env-files, or the .env Compose reads for it."""
    from composelint.assembly.loader import Environment

    # A script or CI job that runs Compose may export variables itself (Compose reads the process
    # environment before any env file): its deployments say so when a required variable is missing.
    automation = None
    if plan.source == "automation" and plan.origin is not None:
        automation = f"{plan.origin.path}:{plan.origin.start.line}"
    if not plan.env_files:
        directory = plan.dotenv.rsplit("/", 1)[0] if plan.dotenv and "/" in plan.dotenv else ""
        base = loader.environment(directory)
        if automation is None:
            return base
        key = ("automation", directory, automation)
        if key not in loader.env_objects:
            loader.env_objects[key] = Environment.of(base.values, base.known, base.examples, automation)
        return loader.env_objects[key]
    key = ("env-files", plan.env_files, automation)
    if key not in loader.env_objects:
        values = env_file_values(loader, plan.env_files)
        known = any(dotenv_exists(loader, path) for path in plan.env_files) or environment_given(loader)
        examples: tuple[str, ...] = ()
        if not known:
            examples, values = example_env_values(loader, dirname(plan.env_files[0]), plan.env_files)
        loader.env_objects[key] = Environment.of(with_config_env(loader, values), known, examples, automation)
    return loader.env_objects[key]


def dotenv_entries(loader: ProjectReader, found: FileSet, cache: dict):
    """relpath of a .env -> {KEY: (value, span)} (None when the file does not exist)."""

    def entries(relpath: str):
        if relpath in cache:
            return cache[relpath]
        result = None
        if relpath in found.all_files:
            text = loader.read_quiet(relpath)
            if text is not None:
                parsed = loader.dotenv(relpath, text)
                result = {entry.key: (entry.value, Span(relpath, Position(entry.line, entry.column)))
                          for entry in parsed.entries if entry.value is not None}
        cache[relpath] = result
        return result

    return entries
