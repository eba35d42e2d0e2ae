"""A deployed service addresses a host name that nothing in its deployment answers to."""

from __future__ import annotations

from composelint.analysis.service_facts import inherited_notes
from composelint.diagnostics import Related
from composelint.graph import graph_of, incomplete, names_list
from composelint.suggest import closest_name
from composelint.rules._rule import Violation, rule
from composelint.yamltree import scalar_text


@rule(code="CL103", name="unresolved-host", severity="warning",
      summary="a deployed service addresses a host that resolves to nothing in its deployment")
def check(project, options):
    graph = graph_of(project)
    for ref in graph.unresolved_hosts():
        source, target, host = ref.source, ref.target, ref.host
        service = source.service
        network_mode = scalar_text(service.get("network_mode")) or ""
        if network_mode and not network_mode.startswith("service:"):
            continue  # host/none/bridge/container: Compose's service names are not what resolves there
        if graph.on_external_network(source) or incomplete(source):
            continue  # another project's containers, or a file composelint cannot read, may provide the name
        scope = graph.scopes[source.scope]
        related = list(inherited_notes(project, source.deployment, service, ref.span))
        if target.defined_in:
            why = (f"it is a service of {names_list(list(target.defined_in))}, which this deployment does not "
                   "load: separate Compose projects share no network unless both join an external one")
            fix = "deploy the two together, or attach both to an external network"
        else:
            why = "it is not a service, alias, hostname or container name of its deployment, so the lookup fails"
            # Every name the lookup would have found: services, aliases, hostnames, container names,
            # links, extra_hosts and the configuration's known-hosts (all matched case-insensitively).
            names = [*scope.services, *(key for key, (_, how) in scope.hosts.items() if how != "service")]
            guess = closest_name(host.host, [*names, *graph.known_hosts])
            fix = (f"did you mean `{guess}`? " if guess else "") + (
                "fix the host name, add the service, or list the host under `known-hosts` in the configuration "
                "when something outside Compose provides it")
            if guess is not None:
                related.extend(_defined_here(scope, guess))
        yield Violation(
            ref.span,
            f"service '{source.name}' addresses `{host.host}` in {host.describe()}, but {why}",
            help=fix,
            related=tuple(related),
            subject=f"service '{source.name}'",
            anchor_text=f"host {host.host}",
        )


_HOW = {"hostname": "the `hostname`", "container_name": "the `container_name`", "alias": "a network alias",
        "link": "a `links` alias"}


def _defined_here(scope, name: str):
    """Where the suggested name comes from: the service that answers to it."""
    provider, how = scope.hosts.get(name.lower(), ("", ""))
    service = scope.services.get(provider)
    if service is None:
        return  # extra_hosts, external_links or known-hosts: no service to point at
    if how == "service":
        yield Related(service.name_span, f"`{name}` is defined here")
    else:
        yield Related(service.name_span, f"`{name}` is {_HOW.get(how, how)} of service '{provider}'")
