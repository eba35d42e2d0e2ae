"""The image's last USER is a name, not a numeric UID (opt-in)."""

from __future__ import annotations

from composelint.analysis.commands.tables import USER_CREATORS
from composelint.analysis.python_deps import stage_run_commands
from composelint.analysis.users import target_users
from composelint.diagnostics import Position, Span
from composelint.rules._rule import Violation, rule



def _created_uid(project, dockerfile, chain, name: str) -> str | None:
    """The numeric UID a `useradd -u N name` / `adduser -u N name` in the chain gives ``name``."""
    for stage in chain:
        for commands in stage_run_commands(project, dockerfile, stage):
            for command in commands:
                argv = command.argv
                options = USER_CREATORS.get(argv[0].rsplit("/", 1)[-1]) if argv else None
                if options is None or name not in argv[1:]:
                    continue
                for index, word in enumerate(argv[:-1]):
                    if word in options and argv[index + 1].isdigit():
                        return argv[index + 1]
                    for option in options:
                        if word.startswith(option + "=") and word[len(option) + 1:].isdigit():
                            return word[len(option) + 1:]
    return None


@rule(code="CL434", name="non-numeric-user", severity="info",
      summary="the image's last USER is a name, not a numeric UID (Kubernetes `runAsNonRoot`); off by default",
      equivalents=("hadolint:DL3066",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for target in target_users(project, dockerfile):
            instruction, user = target.instruction, target.user
            if instruction is None or not user or user.isdigit() or user == "root":
                continue  # no USER or root: CL404's; an unresolved variable: unknown
            if target.services and all(service.get("user") is not None for service in target.services):
                continue  # compose `user:` replaces the image's user
            written = instruction.arguments.strip().split(":", 1)[0].strip()
            start = instruction.arguments_span.start if instruction.arguments_span else instruction.span.start
            span = Span(instruction.span.path, start, Position(start.line, start.column + max(len(written), 1)))
            uid = _created_uid(project, dockerfile, target.chain, user)
            example = f"`USER {uid}` (the UID this Dockerfile gives `{user}`)" if uid else "`USER 10001:10001`"
            yield Violation(
                span,
                f"`USER {instruction.arguments.strip()}` is the last USER of {target.label}, and `{user}` is a "
                "name, not a numeric UID: Kubernetes with `runAsNonRoot: true` cannot tell whether it is root "
                "and refuses to start the container",
                help=f"switch to the numeric UID, e.g. {example}; keep the name for files (`chown {user}`)",
                anchor_text=instruction.text)
