"""The deployment graph: every service of every deployment and what it references.

One multigraph, built once per project (:func:`graph_of`). Nodes are a
service of a deployment, a name that is referenced but defined nowhere the deployment
loads (``undefined``), a service that only undeployed compose files define
(``undeployed``), or a base service of an ``extends.file`` outside the deployment
(``template``). Edges are typed references, each with the span it is written at:
``depends_on``, ``links``, ``network_mode``, ``volumes_from``, ``ipc``, ``pid``
(the start-order kinds), ``extends``, and ``host`` (an address in the environment, the
command or the healthcheck).

networkx is imported lazily, and only to take a cycle apart: an acyclic repository is linted
without it. Rules use the typed queries of :class:`DeploymentGraph`; the renderers
(:mod:`composelint.reporters.graph`, :mod:`composelint.reporters.graph_html`) draw it.

The package: ``adjacency`` (the small directed graphs beneath), ``deployment_graph`` (nodes,
references, scopes and the queries), ``build`` and ``references`` (filling it from the project),
``wording`` (how findings name a reference). What the rest of composelint uses is imported here.
"""

from composelint.graph.build import build_graph, graph_of
from composelint.graph.deployment_graph import (EDGE_KINDS, ORDER_KINDS, RESOURCE_KINDS, SERVICE_KINDS,
                                                DeploymentGraph, Node, Reference, Scope, Undeployed, incomplete,
                                                reported_by_loader)
from composelint.graph.wording import VERBS, names_list

__all__ = ["EDGE_KINDS", "ORDER_KINDS", "RESOURCE_KINDS", "SERVICE_KINDS", "VERBS", "DeploymentGraph", "Node",
           "Reference", "Scope", "Undeployed", "build_graph", "graph_of", "incomplete", "names_list",
           "reported_by_loader"]
