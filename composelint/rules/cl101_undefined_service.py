"""A service reference (depends_on, links, extends, network_mode, volumes_from) names no defined service."""

from __future__ import annotations

from composelint.diagnostics import Related
from composelint.graph import VERBS, graph_of, incomplete, names_list, reported_by_loader
from composelint.suggest import closest_name
from composelint.rules._rule import Violation, rule


@rule(code="CL101", name="undefined-service", severity="error",
      summary="`depends_on`, `links`, `extends`, `network_mode` or `volumes_from` names an undefined service")
def check(project, options):
    graph = graph_of(project)
    for ref in graph.undefined_references():
        source, target = ref.source, ref.target
        if incomplete(source) or (ref.kind == "extends" and reported_by_loader(project, ref.span)):
            continue  # a file the deployment names but composelint cannot read; the loader's own report
        scope = graph.scopes.get(source.scope) or graph.file_scopes.get(source.scope)
        candidates = scope.services if scope is not None else {}
        if target.file:  # extends.file names a file that lacks the service
            where = f"`{target.file}` does not define it"
            candidates = project.compose_files[target.file].services
        elif target.defined_in:
            where = (f"only {names_list(list(target.defined_in))} define{'s' if len(target.defined_in) == 1 else ''}"
                     " it, and this deployment does not load "
                     f"{'that file' if len(target.defined_in) == 1 else 'those files'}")
        else:
            where = "no compose file defines it"
        breaks = "Compose cannot load the file" if ref.kind == "extends" else "Compose refuses to start the project"
        related = []
        guess = closest_name(ref.name, candidates)
        if guess is not None:
            fix = f"did you mean `{guess}`? Correct the name, or define the service `{ref.name}`"
            related.append(Related(candidates[guess].name_span, f"`{guess}` is defined here"))
        elif target.defined_in:
            fix = f"add `{target.defined_in[0]}` to the deployment (`include:` it, or pass it with `-f`)"
        else:
            fix = f"define the service `{ref.name}`, or remove the reference"
        yield Violation(
            ref.span,
            f"service '{source.name}' {VERBS[ref.kind]} `{ref.name}`, but {where}: {breaks}",
            help=fix,
            related=tuple(related),
            subject=f"service '{source.name}'",
            anchor_text=f"{ref.kind} {ref.name}",
        )
    for ref in graph.inactive_dependencies():
        target = ref.target.service
        profiles = " or ".join(f"`{p}`" for p in target.profiles)
        which = f"the profile {profiles} enables" if len(target.profiles) == 1 else f"the profiles {profiles} enable"
        yield Violation(
            ref.span,
            f"service '{ref.source.name}' {VERBS[ref.kind]} `{ref.name}`, which only {which}: without it, "
            "Compose refuses to start the project",
            help=f"enable the profile in this deployment, give '{ref.source.name}' the same profile, or mark "
                 "the dependency `required: false`",
            related=(Related(target.name_span, f"`{ref.name}` is defined here, with `profiles`"),),
            subject=f"service '{ref.source.name}'",
            anchor_text=f"{ref.kind} {ref.name} profile",
        )
