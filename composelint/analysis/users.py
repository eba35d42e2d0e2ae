"""The user each built image runs as: the last `USER` of a target stage and the stages it is built FROM
(CL404, CL434)."""

from __future__ import annotations

from composelint.analysis.python_deps import builds_of, stage_environments_of
from composelint.assembly.linking import stage_chain
from composelint.model import Dockerfile, Instruction, Project, Stage
from composelint.parsers.dockerfile import substitute
from composelint.records import record


@record(frozen=True, slots=True)
class TargetUser:
    """A stage an image is built from (the final one, or a compose `target:`) and its last `USER`."""

    stage: Stage
    services: tuple  # the compose services that build it (none for a final stage no service names)
    chain: tuple[Stage, ...]  # the stages it is built FROM, base first, ending with ``stage``
    instruction: Instruction | None  # the last USER along the chain
    user: str | None  # that USER's user part (before `:`), ARG/ENV values substituted
    label: str  # how a message names the stage
    final: bool  # the Dockerfile's last stage (what a build without `target:` produces)


def runs_as_other_user(service) -> bool:
    """The service's compose `user:` replaces the image's user with a user that is not root."""
    node = service.get("user")
    value = getattr(node, "value", None)
    if value is None:
        return False
    user = str(value).split(":", 1)[0].strip()
    return bool(user) and user not in ("root", "0")


def target_users(project: Project, dockerfile: Dockerfile) -> list[TargetUser]:
    """Every target stage of ``dockerfile`` (the last one, and each a service builds), in stage order."""
    if not dockerfile.stages:
        return []
    targets: dict[int, list] = {len(dockerfile.stages) - 1: []}
    for build in builds_of(project, dockerfile.path):
        targets.setdefault(build.stage.index, []).extend(build.services)
    found = []
    for index, services in sorted(targets.items()):
        target = dockerfile.stages[index]
        chain = stage_chain(dockerfile, target)[::-1]
        last_user = None
        for stage in chain:
            for instruction in stage.instructions:
                if instruction.keyword == "USER":
                    last_user = instruction
        user = None
        if last_user is not None:
            env = stage_environments_of(project, dockerfile)[index]
            user = substitute(last_user.arguments.strip(), env).split(":", 1)[0].strip()
        final = index == len(dockerfile.stages) - 1
        if final:
            label = f"the final stage `{target.name}`" if target.name else "the final stage"
        else:
            label = f"stage `{target.label()}` (the target of service '{services[0].name}')"
        found.append(TargetUser(target, tuple(services), tuple(chain), last_user, user, label, final))
    return found
