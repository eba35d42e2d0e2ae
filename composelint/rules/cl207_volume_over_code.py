"""A named or anonymous volume over the code the image ships: it keeps the first build's copy."""

from __future__ import annotations

from composelint.analysis.image.services import instruction_note, service_view
from composelint.analysis.mounts import beside_bind, image_content_under, service_mounts, volume_definition
from composelint.rules._rule import Violation, rule


@rule(code="CL207", name="volume-over-code", severity="warning",
      summary="a named or anonymous volume is mounted where the image puts the application: after a rebuild the "
              "container still runs the old code from the volume")
def check(project, options):
    seen = set()
    for deployment, service, mounts in service_mounts(project):
        view = service_view(project, service)
        model = view.model if view is not None else None
        if model is None:
            continue  # a pulled image: where its code lives is not known
        for mount in mounts:
            if mount.kind != "volume" or mount.nocopy or (service.name, mount.span) in seen:
                continue
            if beside_bind(mounts, mount) is not None:
                continue  # `./src:/app` + `/app/node_modules`: the development pattern, on purpose
            definition = volume_definition(project, deployment, service, mount.source)
            if definition is not None and (definition.get("driver") is not None or
                                           definition.get("driver_opts") is not None):
                continue  # a volume backed by something else (NFS, a bind device): not filled from the image
            content = image_content_under(model, mount.target)
            if content is None:
                continue
            seen.add((service.name, mount.span))
            who = f"service '{service.name}'"
            what = "`node_modules`" if content.what == "node_modules" else content.what
            old = "old dependencies" if content.what == "node_modules" else "old code"
            if mount.source:
                kept = f"the named volume `{mount.source}`"
                when = "Docker fills a named volume from the image only when the volume is created"
            else:
                kept = "an anonymous volume"
                when = ("Docker fills a volume from the image only when it is created, and Compose hands the same "
                        "anonymous volume to the recreated container")
            yield Violation(
                mount.span,
                f"{who} mounts {kept} over `{mount.target}`, where the image puts {what}: {when}, so after the "
                f"next build the container still uses the {old} in the volume",
                help=f"remove the volume from `{mount.target}` (keep volumes for what the service writes, such as "
                     f"uploads or a database), or mount it at a path the image does not fill",
                related=(instruction_note(content.op.instruction, f"`{content.op.instruction.first_line}` puts "
                                                                  f"{what} in `{content.where}`"),),
                subject=who, anchor_text=mount.source or mount.target)
