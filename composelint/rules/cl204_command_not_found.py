"""The start command runs a program that nothing in the image provides: exit 127."""

from __future__ import annotations

import posixpath

from composelint.analysis.image.base import hint
from composelint.analysis.image.paths import ABSENT, DEFAULT_PATH
from composelint.analysis.image.services import instruction_note, start_targets
from composelint.diagnostics import Related
from composelint.analysis.commands.start import start_analysis
from composelint.rules._rule import Violation, rule


@rule(code="CL204", name="command-not-found", severity="error",
      summary="start command runs a program that the image does not provide (exit 127)")
def check(project, options):
    for target in start_targets(project):
        view = target.view
        semantics = target.argv_semantics()
        if view is None or not view.known or semantics not in ("direct", "node"):
            continue
        env = view.env()
        analysis = start_analysis(project, target.start)
        implicit = {id(call.shell): call for call in analysis.shells if call.implicit}
        for invocation in analysis.invocations:
            word = invocation.words[0] if invocation.words else None
            if word is None or invocation.runner is not None or invocation.conditional or not word.literal:
                continue
            name = word.text
            if "/" in name and view.base.closed and posixpath.dirname(name) in DEFAULT_PATH:
                name = posixpath.basename(name)  # `/bin/sh` on scratch or distroless
            if "/" in name or "=" in name or name.startswith("-") or name in _BUILTINS:
                continue
            state, why = view.program(name)
            if state != ABSENT:
                continue
            outcome = "so the container exits with 127 (command not found)"
            if semantics == "node" and invocation.words[0] is analysis.invocations[0].words[0]:
                outcome = f"so node's entrypoint runs `node {name}`, which fails at start"
            span = word.span or invocation.part.span
            base = view.base
            call = implicit.get(id(word))
            if call is not None:  # the shell form's /bin/sh -c
                span = call.script.span or span
                keyword = "ENTRYPOINT" if call.part.origin == "image-entrypoint" else "CMD"
                yield Violation(
                    span,
                    f"{target.who} starts with a shell-form `{keyword}`, which runs `/bin/sh -c`, but "
                    f"{base.describe()} has no shell: the container exits with 127 (command not found)",
                    help=f"write the exec form: `{keyword} [\"program\", \"arg\"]`",
                    related=target.notes(span), subject=target.subject, anchor_text="/bin/sh")
                continue
            if why == "hidden by a mount":
                mount, path, image = view.hidden_program(name)
                notes = (Related(mount.span, f"{mount.describe()} replaces the image's `{mount.target}`"),)
                if image.op is not None:
                    notes += (instruction_note(image.op.instruction, f"`{image.op.instruction.first_line}` puts "
                                                                     f"`{name}` at `{path}`"),)
                yield Violation(
                    span,
                    f"{target.who} runs `{name}`, which the image puts at `{path}`, but {mount.describe()} hides "
                    f"it, {outcome}",
                    help=f"mount at a path the image does not fill, or put `{name}` in the mounted directory",
                    related=notes + target.notes(span), subject=target.subject, anchor_text=name)
                continue
            notes = ()
            if view.model is not None and target.dockerfile is not None and span.path == target.dockerfile.path:
                notes = (instruction_note(view.model.root.from_instruction, f"FROM {base.describe()}"),)
            yield Violation(
                span,
                f"{target.who} runs `{name}`, which is not installed in the image: {base.describe()} does not "
                f"ship it and no instruction installs it, {outcome}",
                help=_how_to_provide(name, base, view.model is not None, env),
                related=notes + target.notes(span),
                subject=target.subject,
                anchor_text=name)


_BUILTINS = frozenset((
    "cd", "echo", "exec", "exit", "export", "set", "unset", "test", "[", "true", "false", ":", ".", "source",
    "eval", "trap", "wait", "read", "printf", "shift", "ulimit", "umask", "alias", "command", "type", "return",
    "break", "continue", "local", "readonly", "times", "getopts", "hash", "kill", "pwd", "let", "declare",
))


def _how_to_provide(name: str, base, built: bool, env) -> str:
    info = hint(name)
    ways = []
    manager = base.package_manager
    if "pip" in info:
        ways.append(f"add `{info['pip']}` to the requirements the image installs")
    elif manager == "apk" and info.get("apk"):
        ways.append(f"install it in the Dockerfile: `RUN apk add --no-cache {info['apk']}`")
    elif manager == "apt" and info.get("apt"):
        ways.append(f"install it in the Dockerfile: `RUN apt-get update && apt-get install -y "
                    f"--no-install-recommends {info['apt']}`")
    if info.get("image"):
        image = info["image"]
        if base.userland == "alpine" and image.endswith("-slim"):
            image = image[:-len("-slim")] + "-alpine"
        ways.append(f"build FROM an image that ships it, such as `{image}`")
    if not built and ways:
        ways = ["build an image (`build:` with a Dockerfile) that installs it"] + ways[-1:]
    text = "; or ".join(ways) if ways else f"install `{name}` in the image, or run a program the image has"
    if info.get("note"):
        text += f" ({info['note']})"
    return text
