"""The files a start command runs (scripts, modules, ``package.json``) and why the container lacks one.

:func:`missing_start_files` checks each operand of each start command against its container
(CL203's findings; CL208 asks whether a missing bind source hides one); :func:`explain_missing`
says why a file is absent — copied elsewhere, excluded by ``.dockerignore``, flattened by a
directory COPY, hidden by a mount — and how to fix it.
"""

from __future__ import annotations

import posixpath
import re

from composelint.analysis.image.context import Context
from composelint.analysis.image.model import ImageModel, Op
from composelint.analysis.image.paths import ABSENT, GLOB, PRESENT, UNKNOWN, clean_rel, norm
from composelint.analysis.image.services import StartTarget, instruction_note, start_targets
from composelint.analysis.mounts import MISSING, Mount, bind_source, inner_path
from composelint.diagnostics import Position, Related, Span
from composelint.records import record
from composelint.suggest import closest_name


def copy_destinations(model: ImageModel, name: str, limit: int = 3) -> list[tuple[str, Op]]:
    """Where the image puts build-context files called ``name``: (image path, COPY op)."""
    found: list[tuple[str, Op]] = []
    for op in model.ops:
        if op.kind != "copy" or op.dest is None:
            continue
        for source in op.sources:
            clean = clean_rel(source)
            if clean is None:
                continue
            candidates = model.context.glob(source) if GLOB.search(source) else [(clean, model.context.kind(clean))]
            for rel, kind in candidates or ():
                if kind == "dir":
                    prefix = f"{rel}/" if rel else ""
                    for match in model.context.find_basename(name):
                        if match.startswith(prefix):
                            found.append((posixpath.join(op.dest, match[len(prefix):]), op))
                elif kind == "file" and posixpath.basename(rel) == name:
                    target = op.dest if not op.dest_is_dir and len(op.sources) == 1 else posixpath.join(op.dest, name)
                    found.append((target, op))
                if len(found) >= limit:
                    return found
    return found


@record(frozen=True)
class OperandCheck:
    operand: object  # shell.Operand
    path: str | None  # the absolute path looked for (the first candidate), None when unresolvable
    relative: bool  # written as a relative path (resolved against the working directory)
    state: str
    cwd: str | None = None
    mount: Mount | None = None  # the mount that decided an absence (the file is hidden or never mounted)


@record(frozen=True)
class MissingFile:
    """A file a start command runs that is not in the container."""

    target: StartTarget
    invocation: object  # shell.Invocation
    check: OperandCheck


def missing_start_files(project) -> list[MissingFile]:
    """Every file (script, module, jar) a start command runs that the container does not have: CL203's
    findings, and CL208's question "does this missing bind source hide something the command needs"."""
    return project.derived("image.missing_start_files", _missing_start_files)


def _missing_start_files(project) -> list[MissingFile]:
    from composelint.analysis.commands.start import start_analysis
    from composelint.analysis.commands.operands import Operand, operands

    found_missing = []
    for target in start_targets(project):
        view = target.view
        if view is None:
            continue
        semantics = target.argv_semantics()
        if semantics == "unknown":
            continue
        prefix = view.base.entrypoint if semantics == "prefix" else ()
        analysis = start_analysis(project, target.start, prefix)
        env = view.env()
        for index, invocation in enumerate(analysis.invocations):
            if invocation.conditional:
                continue
            found = operands(invocation, env)
            if semantics == "node" and index == 0 and not found and invocation.words:
                first = invocation.words[0]
                if first.text.endswith((".js", ".mjs", ".cjs")):
                    found = [Operand(first, "node-script", first.text)]
            for operand in found:
                if operand.kind == "requirements" or _guarded(invocation, operand.value):
                    continue  # CL201 and CL401 speak for `pip install -r FILE`; `test -f x && run x`
                result = check_operand(target, invocation, operand)
                if result.mount is not None and _written_before(analysis.invocations[:index], result.mount.target):
                    continue  # `git clone … /scratch && python /scratch/job.py`: an earlier command fills it
                # An image composelint does not know speaks only through its mounts (`./src:/app`).
                if result.state == ABSENT and (view.known or result.mount is not None):
                    found_missing.append(MissingFile(target, invocation, result))
    return found_missing


def _written_before(invocations, directory: str) -> bool:
    """Whether an earlier command of the start script names ``directory`` (or a path below it)."""
    inside = directory.rstrip("/") + "/"
    for earlier in invocations:
        if earlier.cwd and (earlier.cwd == directory or earlier.cwd.startswith(inside)):
            return True
        for word in earlier.words:
            if word.text == directory or word.text.startswith(inside):
                return True
    return False


def _guarded(invocation, value: str) -> bool:
    """Whether the script tests for the file before running it (`[ -f x ] && python x`)."""
    if invocation.shell is None:
        return False
    for command in invocation.shell.parsed.commands:
        argv = command.argv
        if argv and argv[0] in ("test", "[", "[[") and value in argv:
            return True
    return False


def _stdlib() -> frozenset:
    import sys

    return sys.stdlib_module_names


def check_operand(target: StartTarget, invocation, operand) -> OperandCheck:
    """Whether the file (or module) an invocation needs is in the container."""
    view = target.view
    kind = operand.kind
    value = operand.value
    if view is None or invocation.cwd_unknown:
        return OperandCheck(operand, None, False, UNKNOWN)
    base_cwd = view.cwd()
    cwd = invocation.cwd if invocation.cwd and invocation.cwd.startswith("/") else None
    if cwd is None and invocation.cwd:  # `cd relative` in the script
        cwd = norm(posixpath.join(base_cwd, invocation.cwd)) if base_cwd else None
        if cwd is None:
            return OperandCheck(operand, None, False, UNKNOWN)
    if cwd is None:
        cwd = base_cwd
    if kind == "module":
        return _check_module(target, invocation, operand, cwd)
    if kind == "package.json":
        if cwd is None:
            return OperandCheck(operand, None, True, UNKNOWN)
        directory = cwd
        state = ABSENT
        decided = None
        for _ in range(cwd.count("/") + 1):
            found = view.file(posixpath.join(directory, "package.json"))
            if found.state == PRESENT:
                return OperandCheck(operand, posixpath.join(directory, "package.json"), True, PRESENT, cwd)
            if found.state == UNKNOWN:
                state = UNKNOWN
            if directory == cwd:
                decided = found.mount
            if directory in ("/", ""):
                break
            directory = posixpath.dirname(directory)
        if state == UNKNOWN:
            return OperandCheck(operand, posixpath.join(cwd, "package.json"), True, UNKNOWN, cwd)
        return OperandCheck(operand, posixpath.join(cwd, "package.json"), True, ABSENT, cwd, decided)
    relative = not value.startswith("/")
    if relative and cwd is None:
        return OperandCheck(operand, None, True, UNKNOWN)
    if value.startswith("~") or "$" in value:
        return OperandCheck(operand, None, relative, UNKNOWN)
    path = norm(posixpath.join(cwd or "/", value))
    candidates = [(path, "file")]
    if kind == "node-script":
        candidates += [(path + ext, "file") for ext in (".js", ".mjs", ".cjs", ".json", ".node")] + [(path, "dir")]
    state = ABSENT
    decided = None
    for candidate, want in candidates:
        found = view.file(candidate, want=want)
        if found.state == PRESENT:
            return OperandCheck(operand, path, relative, PRESENT, cwd)
        if found.state == UNKNOWN:
            state = UNKNOWN
        if candidate == path:
            decided = found.mount
    if state == ABSENT and not view.known and decided is None:
        state = UNKNOWN  # a mount's verdict stands whatever the image: `./src:/app` replaces all of /app
    return OperandCheck(operand, path, relative, state, cwd, decided)


def _check_module(target: StartTarget, invocation, operand, cwd: str | None) -> OperandCheck:
    from composelint.analysis.commands.start import option_value

    view = target.view
    model = view.model
    top = operand.value.split(".", 1)[0]
    if not top or not re.fullmatch(r"[A-Za-z_]\w*", top) or top in _stdlib() or model is None or cwd is None:
        return OperandCheck(operand, None, True, UNKNOWN)
    env = view.env()
    env.update(invocation.env())
    directories = [cwd]
    app_dir = option_value(invocation.words, ("--app-dir", "--chdir"))
    if app_dir is not None:
        if not app_dir.literal:
            return OperandCheck(operand, None, True, UNKNOWN)
        value = app_dir.text.split("=", 1)[1] if app_dir.text.startswith("--") else app_dir.text
        directories = [norm(posixpath.join(cwd, value))]
    if option_value(invocation.words, ("--pythonpath",)) is not None:
        return OperandCheck(operand, None, True, UNKNOWN)
    for entry in (env.get("PYTHONPATH") or "").split(":"):
        if entry:
            if not entry.startswith("/"):
                return OperandCheck(operand, None, True, UNKNOWN)
            directories.append(norm(entry))
    # Only the user's own code can be reported: a module that the build context has, and that
    # no local install (`pip install .`, poetry, uv sync) could have put in site-packages.
    files, dirs = model.context.basenames()
    if f"{top}.py" not in files and top not in dirs:
        return OperandCheck(operand, None, True, UNKNOWN)
    if any(op.run is not None and (op.run.pip_local or op.run.effect == "opaque") for op in model.ops):
        return OperandCheck(operand, None, True, UNKNOWN)
    state = ABSENT
    decided = None
    for directory in directories:
        for candidate, want in ((posixpath.join(directory, top + ".py"), "file"),
                                (posixpath.join(directory, top), "dir")):
            found = view.file(candidate, want=want)
            if found.state == PRESENT:
                return OperandCheck(operand, candidate, True, PRESENT, cwd)
            if found.state == UNKNOWN:
                state = UNKNOWN
            if directory == directories[0]:
                decided = decided or found.mount
    return OperandCheck(operand, posixpath.join(directories[0], top), True, state, cwd, decided)


def explain_missing(target: StartTarget, check: OperandCheck) -> tuple[str, str, tuple[Related, ...]]:
    """(why it is missing, how to fix it, notes) for an absent operand."""
    view = target.view
    model = view.model if view is not None else None
    path = check.path or ""
    name = posixpath.basename(path)
    notes: list[Related] = []
    module = check.operand.kind == "module"
    shown = f"`{name}.py` or the package `{name}/`" if module else f"`{name}`"
    if check.mount is not None:
        return _explain_mount(target, check, shown)
    if model is None:
        image = view.base.ref if view is not None and view.base is not None else "the image"
        return (f"`{image}` has no `{path}` and no volume mounts it",
                "mount the code into the container (`volumes: [\"./src:/app\"]`) or build an image that copies it",
                ())
    if module:
        flattened = _flattened_directory(model, name)
        if flattened is not None:
            op, rel = flattened
            copy_text = op.instruction.first_line
            notes.append(instruction_note(op.instruction, f"`{copy_text}` copies what is inside `{rel}/` into "
                                                          f"`{op.dest}`, not the directory itself"))
            return (f"the build context's `{rel}/` is copied as the contents of `{op.dest}`, so there is no "
                    f"`{posixpath.join(op.dest, name)}`",
                    f"copy the directory itself (`COPY {rel} {posixpath.join(op.dest, name)}`), or drop the "
                    f"`{name}.` prefix from the module", tuple(notes))
    landed = copy_destinations(model, f"{name}.py" if module else name)
    context_name = f"`{model.context.path}`" if model.context.path else "the project root"
    where = f"{check.cwd}" if check.cwd else "/"
    if landed:
        target_path, op = landed[0]
        copy_text = op.instruction.first_line
        if op.workdir is None and not op.workdir_unknown and not op.instruction.arguments.split()[-1].startswith("/"):
            why_dest = "because no WORKDIR is set, relative destinations are under `/`"
            fix = f"add `WORKDIR {posixpath.dirname(path) or '/'}` before `{copy_text}`"
        else:
            why_dest = f"it copies to `{op.dest}`"
            fix = f"copy it to `{posixpath.dirname(path)}`, or run `{target_path}`"
        notes.append(instruction_note(op.instruction, f"`{copy_text}` puts {shown} at `{target_path}`: {why_dest}"))
        reason = f"the build context's {shown} is copied to `{target_path}` instead"
        return reason, fix, tuple(notes)
    excluded = None
    for candidate in ((f"{name}.py", name) if module else (name,)):
        for match in _context_matches(model.context, candidate):
            excluded = (match, model.context.excluded_by(match))
            break
    if excluded is not None and excluded[1] is not None:
        pattern = excluded[1]
        ignore_path = model.context.ignore.path if model.context.ignore is not None else ".dockerignore"
        notes.append(Related(Span(ignore_path, Position(pattern.line, 1)),
                             f"`{pattern.pattern}` leaves `{excluded[0]}` out of the build context"))
        return (f"`{excluded[0]}` is excluded by `{ignore_path}`", f"remove or narrow the `{pattern.pattern}` "
                "pattern so the file reaches the build", tuple(notes))
    files, dirs = model.context.basenames()
    present = excluded[0] if excluded is not None else None
    if present is None and module and name in dirs:
        present = _context_dir(model.context, name)
    if present is not None:
        shown_path = f"{present}/" if module and not present.endswith(".py") else present
        reason = f"the build context has `{shown_path}`, but no instruction puts it at `{path}`"
        fix = f"copy it there (`COPY {shown_path} {path}{'/' if shown_path.endswith('/') else ''}`), or change " \
              f"the command to where the image has it"
        if model.workdir_instruction is not None:
            notes.append(instruction_note(model.workdir_instruction, f"the working directory is `{model.workdir}`"))
        return reason, fix, tuple(notes)
    suffix = posixpath.splitext(name)[1]
    close = closest_name(name, [f for f in files if f.endswith(suffix) or module], cutoff=0.5) \
        if suffix or module else None
    similar = [close] if close else []
    if not similar and suffix:
        same_kind = sorted(f for f in files if f.endswith(suffix))
        similar = same_kind[:1] if len(same_kind) == 1 else []
    reason = f"the build context {context_name} has no {shown}"
    if check.relative:
        reason += f" (the command runs in `{where}`)"
    fix = f"add {shown} to {context_name} and copy it into the image"
    if similar:
        fix = f"run the file the context has (`{similar[0]}`?), or " + fix
    if model.workdir_instruction is not None:
        notes.append(instruction_note(model.workdir_instruction, f"the working directory is `{model.workdir}`"))
    return reason, fix, tuple(notes)


def _explain_mount(target: StartTarget, check: OperandCheck, shown: str) -> tuple[str, str, tuple[Related, ...]]:
    """Why a mount leaves the file out: an empty (created or tmpfs) directory, or a bind source without it."""
    mount = check.mount
    view = target.view
    path = check.path or ""
    inner = inner_path(mount, path)
    if check.operand.kind == "module":
        inner += ".py"
    notes = [Related(mount.span, f"{mount.describe()} replaces the image's `{mount.target}`")]
    if mount.kind == "bind" and bind_source(view.project, mount) == MISSING:
        reason = (f"`{mount.source}` is not in the repository, so Docker creates it as an empty directory and "
                  f"mounts it over `{mount.target}`")
        fix = f"create `{mount.source}` with the code in it, or remove the mount"
    elif mount.kind == "bind":
        host = f"{mount.host}/" if mount.host else "the project root"
        reason = f"{mount.describe()} replaces `{mount.target}` with `{host}`, which has no `{inner}`"
        fix = f"add `{inner}` to `{host}`, or mount the directory that has it"
    else:
        reason = f"{mount.describe()} starts empty"
        fix = f"move the mount off `{mount.target}`, or run the file from where the image has it"
    if check.operand.kind == "module":
        path = posixpath.join(posixpath.dirname(path), inner.rsplit("/", 1)[-1])
    hidden = view.image_file(path, "any")
    if hidden.state == PRESENT:
        reason += f", hiding the image's own `{path}`"
        fix = f"remove the mount (the image already has `{path}`), or " + fix.split(", or ", 1)[0]
        if hidden.op is not None:
            notes.append(instruction_note(hidden.op.instruction, f"`{hidden.op.instruction.first_line}` puts "
                                                                 f"{shown} at `{path}`, under the mount"))
    return reason, fix, tuple(notes)


def _context_dir(context: Context, name: str) -> str | None:
    """The context-relative path of a directory called ``name`` (the shallowest), if any."""
    return context.directory_named(name) if context.path is not None else None


def _flattened_directory(model: ImageModel, name: str) -> tuple[Op, str] | None:
    """A COPY whose source is a directory called ``name`` (its contents land in the destination)."""
    for op in model.ops:
        if op.kind != "copy" or op.dest is None or op.parents:
            continue
        for source in op.sources:
            clean = clean_rel(source)
            if clean and posixpath.basename(clean) == name and model.context.kind(clean) == "dir":
                return op, clean
    return None


def _context_matches(context: Context, name: str) -> list[str]:
    """Context paths called ``name``, excluded ones included (for "excluded by .dockerignore")."""
    return context.named(name)[:3] if context.path is not None else []
