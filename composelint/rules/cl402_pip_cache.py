"""`pip install` in a RUN step keeps pip's download cache in the image."""

from __future__ import annotations

from composelint.analysis.python_deps import shipped_stages, stage_environments_of, stage_installs
from composelint.rules._rule import Violation, rule

# tool -> (flags that disable the cache, environment variable that does, cache directory)
_CACHES = {
    "pip": (("--no-cache-dir",), "PIP_NO_CACHE_DIR", "/root/.cache/pip"),
    "uv pip": (("--no-cache", "-n"), "UV_NO_CACHE", "/root/.cache/uv"),
    "uv sync": (("--no-cache", "-n"), "UV_NO_CACHE", "/root/.cache/uv"),
}
_CLEANUPS = (("pip", "cache", "purge"), ("pip3", "cache", "purge"), ("uv", "cache", "clean"), ("uv", "cache", "prune"))


def _cache_mount(instruction) -> bool:
    return any(flag.name == "mount" and flag.value and "type=cache" in flag.value for flag in instruction.flags)


def _cleans_cache(commands) -> bool:
    for command in commands:
        argv = command.argv
        if argv[:3] in _CLEANUPS:
            return True
        if argv and argv[0].rsplit("/", 1)[-1] == "rm" and any(".cache" in arg for arg in argv[1:]):
            return True
    return False


@rule(code="CL402", name="pip-cache", severity="warning",
      summary="`pip install` in RUN without `--no-cache-dir`, `PIP_NO_CACHE_DIR` or a cache mount")
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        shipped = shipped_stages(project, dockerfile)
        environments = stage_environments_of(project, dockerfile)
        for stage in dockerfile.stages:
            if stage.index not in shipped:
                continue  # a builder stage: only what later stages copy out of it ships
            env = environments[stage.index]
            for instruction, installs in zip(stage.instructions, stage_installs(project, dockerfile, stage)):
                if instruction.keyword != "RUN" or _cache_mount(instruction):
                    continue
                for install in filter(None, installs):
                    if install.tool not in _CACHES or install.subcommand not in ("install", "sync"):
                        continue
                    flags, variable, directory = _CACHES[install.tool]
                    if install.has(*flags) or variable in env or variable in install.command.assignments:
                        continue
                    if _cleans_cache(install.command.all_commands):
                        continue
                    program = " ".join(install.command.argv[:install.program_words + 1])
                    flag = flags[0]
                    yield Violation(
                        install.span(),
                        f"`{program}` leaves its download cache in the image layer: every wheel it fetched "
                        "ships with the image and makes it larger",
                        help=f"add `{flag}`, set `ENV {variable}=1` in the stage, or use a cache mount that stays "
                             f"out of the image: `RUN --mount=type=cache,target={directory} {program} …`",
                        anchor_text=instruction.text.splitlines()[0])
