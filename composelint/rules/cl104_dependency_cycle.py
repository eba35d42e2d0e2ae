"""Services wait for each other in a cycle (depends_on, links, volumes_from, network_mode, ipc, pid)."""

from __future__ import annotations

from composelint.diagnostics import Related
from composelint.graph import VERBS, graph_of
from composelint.rules._rule import Violation, rule


@rule(code="CL104", name="dependency-cycle", severity="error",
      summary="a `depends_on` cycle: Compose refuses to start any of its services")
def check(project, options):
    for cycle in graph_of(project).dependency_cycles():
        first = cycle[0]
        names = [ref.source.name for ref in cycle] + [first.source.name]
        kinds = {ref.kind for ref in cycle}
        what = "`depends_on`" if kinds == {"depends_on"} else "start-order"
        if len(cycle) == 1:
            message = (f"service '{first.source.name}' {VERBS[first.kind]} itself: Compose refuses to start the "
                       "project (\"dependency cycle detected\")")
        else:
            chain = " → ".join(f"`{name}`" for name in names)
            message = (f"{what} cycle {chain}: Compose refuses to start the project (\"dependency cycle detected\"), "
                       "so none of these services runs")
        related = tuple(Related(ref.span, f"'{ref.source.name}' {VERBS[ref.kind]} `{ref.name}` here")
                        for ref in cycle[1:])
        yield Violation(
            first.span, message,
            help="remove one of these dependencies; services that need each other should retry their "
                 "connections at run time instead of ordering their start",
            related=related,
            subject=f"service '{first.source.name}'",
            anchor_text=" ".join(names),
        )
