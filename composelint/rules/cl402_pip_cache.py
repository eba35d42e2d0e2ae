"""`pip install` in a RUN step keeps pip's download cache in the image."""

from __future__ import annotations

from composelint.analysis.layers import HOMES, mount_targets, normal_path
from composelint.analysis.python_deps import shipped_stages, stage_environments_of, stage_installs
from composelint.diagnostics import Edit, Fix, Position, Span
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule

# tool -> (flags that disable the cache, environment variable that does, cache directory)
_CACHES = {
    # pip's option parser takes any unambiguous prefix: `--no-cache` is `--no-cache-dir`.
    "pip": (("--no-cache-dir", "--no-cache", "--no-cache-d", "--no-cache-di"), "PIP_NO_CACHE_DIR", "/root/.cache/pip"),
    "uv pip": (("--no-cache", "-n"), "UV_NO_CACHE", "/root/.cache/uv"),
    "uv sync": (("--no-cache", "-n"), "UV_NO_CACHE", "/root/.cache/uv"),
}
# tool -> (its cleanup commands, the variable that moves its cache, the cache's directory under ~/.cache)
_OWN_CACHE = {
    "pip": ((("pip", "cache", "purge"), ("pip3", "cache", "purge")), "PIP_CACHE_DIR", "pip"),
    "uv pip": ((("uv", "cache", "clean"), ("uv", "cache", "prune")), "UV_CACHE_DIR", "uv"),
    "uv sync": ((("uv", "cache", "clean"), ("uv", "cache", "prune")), "UV_CACHE_DIR", "uv"),
}


def _own_cache_paths(tool: str, env) -> set[str]:
    """The paths that are the tool's own cache (or hold it): removing or mounting one of them counts;
    another tool's cache (`${NVM_DIR}/.cache`) does not."""
    _, variable, name = _OWN_CACHE[tool]
    paths = {f"{home}/.cache" for home in HOMES} | {f"{home}/.cache/{name}" for home in HOMES}
    paths |= {f"${variable}", f"${{{variable}}}"}
    if env.get(variable):
        paths.add(str(env[variable]).rstrip("/"))
    return paths


def _cache_mount(instruction, tool: str, env) -> bool:
    """A `--mount=type=cache` whose target is the tool's cache directory (or one holding it)."""
    own = _own_cache_paths(tool, env)
    return any(target in own or target.endswith(("/.cache", f"/.cache/{_OWN_CACHE[tool][2]}"))
               for target in mount_targets(instruction, ("cache",)))


def _cleans_cache(tool: str, commands, env) -> bool:
    cleanups = _OWN_CACHE[tool][0]
    own = _own_cache_paths(tool, env)
    for command in commands:
        argv = command.argv
        if argv[:3] in cleanups or (argv[:2] in (("python", "-m"), ("python3", "-m")) and argv[2:5] in cleanups):
            return True
        if argv and argv[0].rsplit("/", 1)[-1] == "rm" and any(normal_path(arg) in own for arg in argv[1:]):
            return True
    return False


@rule(code="CL402", name="pip-cache", severity="warning",
      summary="`pip install` in RUN without `--no-cache-dir`, `PIP_NO_CACHE_DIR` or a cache mount",
      equivalents=("hadolint:DL3042",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        shipped = shipped_stages(project, dockerfile)
        environments = stage_environments_of(project, dockerfile)
        for stage in dockerfile.stages:
            if stage.index not in shipped:
                continue  # a builder stage: only what later stages copy out of it ships
            env = environments[stage.index]
            for instruction, installs in zip(stage.instructions, stage_installs(project, dockerfile, stage)):
                if instruction.keyword != "RUN":
                    continue
                for install in filter(None, installs):
                    if install.tool not in _CACHES or install.subcommand not in ("install", "sync"):
                        continue
                    flags, variable, directory = _CACHES[install.tool]
                    if install.has(*flags) or variable in env or variable in install.command.assignments:
                        continue
                    if _cache_mount(instruction, install.tool, env) or _cleans_cache(
                            install.tool, install.command.all_commands, env):
                        continue
                    program = " ".join(install.command.argv[:install.program_words + 1])
                    flag = flags[0]
                    yield Violation(
                        install.span(),
                        f"`{program}` leaves its download cache in the image layer: every wheel it fetched "
                        "ships with the image and makes it larger",
                        help=f"add `{flag}`, set `ENV {variable}=1` in the stage, or use a cache mount that stays "
                             f"out of the image: `RUN --mount=type=cache,target={directory} {program} …`",
                        anchor_text=instruction.first_line,
                        fix=_no_cache_fix(project, install, flag))


def _no_cache_fix(project, install, flag: str):
    """`--no-cache-dir` right after the word `install` (`sync`), in this command only.

    A flag, not `ENV PIP_NO_CACHE_DIR=1`, even when several installs share a stage: the flag changes
    nothing but this command, while an ENV line would also reach every later RUN and the running
    container (a `pip install` at run time would stop caching too)."""
    if install.dynamic:
        return None
    span = install.span()
    if span.end is None or _fix.at(project, Span(span.path, span.end, span.end)) is None:
        return None
    word = install.command.words[install.program_words]
    written = _fix.at(project, Span(span.path, Position(span.end.line, span.end.column - len(word.text)),
                                    span.end))
    if written != word.text:
        return None  # quoted, escaped or expanded: the end of the span is not the word's last character
    return Fix.safe(f"Add `{flag}`", Edit.insert(span.path, span.end.line, span.end.column, f" {flag}"))
