"""A relative bind source that is not in the repository: Docker mounts an empty directory in its place."""

from __future__ import annotations

from composelint.analysis.image.services import instruction_note, service_view
from composelint.analysis.image.startfiles import missing_start_files
from composelint.analysis.mounts import MISSING, bind_source, image_content_under, service_mounts
from composelint.diagnostics import Related, Severity
from composelint.rules._rule import Violation, rule


@rule(code="CL208", name="missing-bind-source", severity="warning",
      summary="a relative bind source is not in the repository, so an empty directory hides the image's code "
              "(error when the start command needs a file there, or with `create_host_path: false`)")
def check(project, options):
    needed = {}
    for missing in missing_start_files(project):
        mount = missing.check.mount
        if mount is not None and missing.target.service is not None:
            needed.setdefault((missing.target.service.name, mount.span), missing)
    seen = set()
    for _, service, mounts in service_mounts(project):
        view = service_view(project, service)
        for mount in mounts:
            if mount.kind != "bind" or mount.host is None or (service.name, mount.span) in seen:
                continue
            if bind_source(project, mount) != MISSING:
                continue
            seen.add((service.name, mount.span))
            who = f"service '{service.name}'"
            source = f"`{mount.source}`"
            create = f"create {source} in the repository (commit a `.gitkeep` in it if it starts empty)"
            if not mount.create_host_path:
                yield Violation(
                    mount.source_span or mount.span,
                    f"{who} bind-mounts {source}, which is not in the repository, with `create_host_path: false`: "
                    f"Compose refuses to start the service",
                    help=f"{create}, or drop `create_host_path: false` to let Docker create an empty directory",
                    subject=who, severity=Severity.ERROR, anchor_text=mount.source)
                continue
            empty = f"{who} mounts {source} over `{mount.target}`, but {source} is not in the repository: Docker " \
                    f"creates it as an empty directory"
            found = needed.get((service.name, mount.span))
            if found is not None:
                word = found.check.operand.word
                span = word.span or found.invocation.part.span
                notes = [Related(span, f"the start command runs `{found.check.path}`")]
                hidden = view.image_file(found.check.path, "any") if view is not None else None
                if hidden is not None and hidden.op is not None and hidden.state == "present":
                    notes.append(instruction_note(hidden.op.instruction, f"`{hidden.op.instruction.first_line}` "
                                                                         f"puts `{found.check.path}` in the image"))
                yield Violation(
                    mount.span,
                    f"{empty}, so `{found.check.path}`, which the start command runs, is not in the container",
                    help=f"remove the mount so the image's `{mount.target}` is used, or mount the directory that "
                         f"holds the code",
                    related=tuple(notes), subject=who, severity=Severity.ERROR, anchor_text=mount.source)
                continue
            model = view.model if view is not None else None
            content = image_content_under(model, mount.target) if model is not None else None
            if content is None:
                continue  # a state directory over a path the image leaves empty: Docker's creation is the point
            what = "`node_modules`" if content.what == "node_modules" else content.what
            yield Violation(
                mount.span,
                f"{empty}, which hides {what} the image puts in `{mount.target}`",
                help=f"remove the mount so the image's `{mount.target}` is used, or mount the directory that holds "
                     f"the code (a directory for the service's data belongs where the image puts nothing)",
                related=(instruction_note(content.op.instruction, f"`{content.op.instruction.first_line}` puts "
                                                                  f"{what} in `{content.where}`"),),
                subject=who, anchor_text=mount.source)
