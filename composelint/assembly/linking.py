"""Join compose services to the Dockerfiles they build: target stage and start command.

Docker's semantics: a compose ``entrypoint`` replaces the image ENTRYPOINT and
drops its CMD; a compose ``command`` replaces CMD; an ENTRYPOINT set in a
Dockerfile resets a CMD inherited from the base image; a stage built FROM an
earlier stage inherits its ENTRYPOINT, CMD and SHELL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from composelint.diagnostics import Span
from composelint.model import CommandPart, CommandWord, Dockerfile, EffectiveCommand, Instruction, Service, Stage
from composelint.textnumbers import decimal_value

DEFAULT_SHELL = ("/bin/sh", "-c")


def link_service(service: Service, dockerfiles: Mapping[str, Dockerfile], parsed=None) -> Service:
    """Attach the Dockerfile and target stage a service builds, and its effective start command.

    ``parsed``: the language server's composelint.parsecache.ParseCache, which keeps the result."""
    dockerfile = None
    if service.build is not None and service.build.dockerfile_path:
        dockerfile = dockerfiles.get(service.build.dockerfile_path)
    if parsed is not None:
        return parsed.linked(service, dockerfile, lambda: _linked(service, dockerfile))
    return _linked(service, dockerfile)


def _linked(service: Service, dockerfile: Dockerfile | None) -> Service:
    stage = None
    if dockerfile is not None:
        target = service.build.target.value if service.build.target else None
        stage = dockerfile.stage(target)
    start = effective_start(service, dockerfile, stage)
    return replace(service, dockerfile=dockerfile, stage=stage, effective_start=start)


def stage_chain(dockerfile: Dockerfile, stage: Stage) -> list[Stage]:
    """The stage and the earlier stages it is built FROM, nearest first."""
    chain = [stage]
    current = stage
    while True:
        parent = None
        base = current.base_resolved.lower()
        for candidate in dockerfile.stages[:current.index]:
            if candidate.name and candidate.name == base:
                parent = candidate
        if parent is None or parent in chain:
            return chain
        chain.append(parent)
        current = parent


def built_stages(dockerfile: Dockerfile, targets: Iterable[Stage]) -> list[Stage]:
    """The target stages and every stage they need (FROM a stage, COPY --from a stage)."""
    needed: set[int] = set()
    pending = [stage.index for stage in targets]
    names = {stage.name: stage.index for stage in dockerfile.stages if stage.name}
    while pending:
        index = pending.pop()
        if index in needed or not 0 <= index < len(dockerfile.stages):
            continue
        needed.add(index)
        stage = dockerfile.stages[index]
        for parent in stage_chain(dockerfile, stage)[1:]:
            pending.append(parent.index)
        for instruction in stage.instructions:
            flag = instruction.flag("from") if instruction.keyword in ("COPY", "ADD") else None
            if flag is not None and flag.value:
                value = flag.value.lower()
                index = names.get(value, decimal_value(value))
                if index is not None:
                    pending.append(index)
    return [stage for stage in dockerfile.stages if stage.index in needed]


def image_start(dockerfile: Dockerfile, stage: Stage) -> tuple[CommandPart | None, CommandPart | None, bool]:
    """ENTRYPOINT and CMD in force at the end of ``stage``; the flag says whether the image is fully known.

    Docker's rule: setting ENTRYPOINT resets a CMD inherited from the base image.
    """
    entrypoint = cmd = None
    entrypoint_set = cmd_set = False
    shell = DEFAULT_SHELL
    chain = stage_chain(dockerfile, stage)
    for current in reversed(chain):
        for instruction in current.instructions:
            keyword = instruction.keyword
            if keyword == "SHELL" and instruction.exec_args:
                shell = tuple(instruction.exec_args)
            elif keyword == "ENTRYPOINT":
                entrypoint = _image_part(instruction, "image-entrypoint", shell, current)
                entrypoint_set = True
                cmd, cmd_set = None, False
            elif keyword == "CMD":
                cmd = _image_part(instruction, "image-cmd", shell, current)
                cmd_set = True
    external_base = chain[-1].base_resolved.lower() != "scratch"
    complete = not external_base or entrypoint_set or cmd_set
    return entrypoint, cmd, complete


def _image_part(instruction: Instruction, origin: str, shell: tuple[str, ...], stage: Stage) -> CommandPart:
    span = instruction.span
    args_span = instruction.arguments_span or span
    if instruction.form == "exec" and instruction.exec_args is not None:
        words = tuple(CommandWord(text, args_span) for text in instruction.exec_args)
        return CommandPart(origin, words, span, "exec", stage.label())
    script_span = Span(span.path, args_span.start, span.end)
    words = tuple(CommandWord(text, span) for text in shell) + (CommandWord(instruction.arguments, script_span),)
    return CommandPart(origin, words, span, "shell", stage.label())


def effective_start(service: Service, dockerfile: Dockerfile | None, stage: Stage | None) -> EffectiveCommand | None:
    if service.entrypoint is not None:
        # A compose entrypoint replaces the image's and drops the image's CMD.
        return EffectiveCommand(service.entrypoint, service.command, True)
    if dockerfile is not None and stage is not None:
        image_entrypoint, image_cmd, complete = image_start(dockerfile, stage)
    else:
        image_entrypoint = image_cmd = None
        complete = False
    cmd = service.command if service.command is not None else image_cmd
    if image_entrypoint is None and cmd is None:
        return None
    fully_known = complete or (image_entrypoint is not None)
    return EffectiveCommand(image_entrypoint, cmd, fully_known)
