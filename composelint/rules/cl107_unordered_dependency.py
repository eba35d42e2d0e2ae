"""A service addresses another by name but nothing makes it start after it."""

from __future__ import annotations

from composelint.analysis.service_facts import inherited_notes
from composelint.diagnostics import Related
from composelint.graph import graph_of
from composelint.rules._rule import Violation, rule


@rule(code="CL107", name="unordered-dependency", severity="warning",
      summary="a service addresses another by hostname without `depends_on` on it")
def check(project, options):
    for ref in graph_of(project).unordered_host_references():
        source, target, host = ref.source, ref.target, ref.host
        related = inherited_notes(project, source.deployment, source.service, ref.span)
        related += (Related(target.service.name_span, f"`{target.name}` is defined here"),)
        yield Violation(
            ref.span,
            f"service '{source.name}' addresses `{host.host}` in {host.describe()} but has no `depends_on` on "
            f"`{target.name}`: it may start first, fail to connect and crash-loop",
            help=f"make '{source.name}' retry until `{target.name}` answers: Swarm (`docker stack deploy`) ignores "
                 f"`depends_on` and starts every service at once"
            if source.deployment is not None and source.deployment.swarm else
            f"add `depends_on: {{{target.name}: {{condition: service_healthy}}}}` to '{source.name}' (with a "
            f"healthcheck on `{target.name}`), or make it retry until `{target.name}` answers",
            related=related,
            subject=f"service '{source.name}'",
            anchor_text=f"unordered {host.host}",
        )
