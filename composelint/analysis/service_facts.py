"""Facts about one service as Compose runs it, shared by the service-configuration rules (CL3xx).

Everything reads the merged, interpolated service mapping (``Service.node``), so a value
that came from an override file, an ``x-`` anchor or an ``extends``ed base keeps the span
where it is written: that is the line a finding points at. :func:`inherited_notes` adds the
note that ties such a line to the service that inherits it.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterator

from composelint.diagnostics import Position, Related, Span
from composelint.imageref import parse_image_ref
from composelint.model import Deployment, Service
from composelint.records import record
from composelint.sourcetext import source_text
from composelint.textnumbers import decimal_value
from composelint.yamltree import YMap, YNode, YScalar, YSeq, find, scalar_text

# --------------------------------------------------------------------------- where a value is written


def own_spans(project, deployment: Deployment, name: str) -> list[Span]:
    """The spans of the service's own mappings (``services: <name>:``) in the deployment's files.

    The ``-f`` files and the files they ``include:`` count; a file read only for ``extends``
    does not: what comes from there is inherited, even from a base of the same name.
    """
    included = tuple(target for _source, target, kind in getattr(deployment, "edges", ()) if kind == "include")
    spans = []
    for path in dict.fromkeys(tuple(deployment.files) + included):
        compose = project.compose_files.get(path)
        service = compose.services.get(name) if compose is not None else None
        if service is not None:
            spans.append(service.span)
    return spans


def _inside(span: Span, outer: Span) -> bool:
    if span.path != outer.path:
        return False
    # Positions compared as (line, column) tuples, as their records order them, without calling the
    # records' comparison methods: asked for every note of every service finding (CL107: ~900 a run).
    low, at = outer.start, span.start
    high = outer.end or low
    return (low.line, low.column) <= (at.line, at.column) <= (high.line, high.column)


def inherited(project, deployment: Deployment, service: Service, span: Span) -> bool:
    """Whether ``span`` lies outside every definition of the service itself (an anchor, a base)."""
    return not any(_inside(span, own) for own in own_spans(project, deployment, service.name))


def inherited_notes(project, deployment: Deployment, service: Service, span: Span) -> tuple[Related, ...]:
    """A note at the service's key when the offending value is written elsewhere (anchor, extends).

    It comes first, so the engine can collapse one shared defect seen by many services into
    one finding that lists them.
    """
    notes = context_notes(deployment, service)
    if not inherited(project, deployment, service, span):
        return notes
    return (Related(service.name_span, f"service '{service.name}' inherits this setting"),) + notes


def concerns(deployment: Deployment, name: str, other: str) -> bool:
    """Whether a clash between two services (a port, a container name) is this context's to report.

    A deployment reports all of its own. A variant reports only those of the services it lints, the
    rest being its parent's; and a profile only clashes among its own services: one that takes a port
    or a name of a default service is usually its alternative, started alone (`up debug`).
    """
    focus = deployment.focus
    if focus is None:
        return True
    if deployment.kind == "profile":
        return name in focus and other in focus
    return name in focus or other in focus


def context_notes(deployment: Deployment | None, service: Service) -> tuple[Related, ...]:
    """A note when the service is linted outside the deployments: with a profile enabled, in a file
    no deployment runs (Deployment.kind). The engine counts a finding once whatever its notes."""
    said = deployment.context_note() if deployment is not None else None
    return (Related(service.name_span, f"service '{service.name}' runs {said}" if deployment.kind == "profile"
                    else said),) if said else ()


def subject(service: Service) -> str:
    return f"service '{service.name}'"


# --------------------------------------------------------------------------- reuse across runs


def by_context(project) -> Iterator[tuple[Deployment, tuple[Service, ...]]]:
    """``Project.deployed_services`` grouped: each context with the services it lints, in the same order."""
    for deployment in project.deployments:
        yield deployment, tuple(deployment.active_services())
    for variant in project.variants:
        yield variant, tuple(variant.linted_services())


def selected(project, name: str, context: Deployment, services: tuple[Service, ...], select,
             values: tuple = ()) -> list:
    """``select(services)``: what a rule picks out of a context's services, when that is a function of the
    Service objects alone (frozen: their merged node, Dockerfile and stage with them) and of the plain
    ``values`` (the rule's options, the context's flags it reads), never of the project. Reused while every
    service is the same object (``DerivedFacts.kept``): in a language-server session, for each deployment
    an edit did not touch. What reads the project (notes, spans in the sources) is worked out afterwards,
    for what was picked."""
    if not services:
        return []
    # Keyed by the context too: a variant may start with the same service as its deployment.
    return project.facts.kept(name, services, lambda: select(services),
                              (context.kind, context.name, len(services), *values))


# --------------------------------------------------------------------------- resource limits

_MEMORY_KEYS = ("mem_limit",)
_CPU_KEYS = ("cpus", "cpu_quota", "cpu_count", "cpu_percent", "cpuset")


@record(frozen=True, slots=True)
class ResourceLimits:
    memory: Span | None  # where a memory limit is set
    cpus: Span | None  # where a CPU limit is set
    anchor: Span  # where to add what is missing: the deepest of deploy.resources.limits, else the service key


def _is_set(node: YNode | None) -> bool:
    """A limit with a value; ``0`` or an empty value means unlimited."""
    if not isinstance(node, YScalar):
        return False
    if has_variable(node.raw):
        return True  # interpolated: set by whoever deploys
    text = scalar_text(node)
    if text is None or not text.strip():
        return False
    try:
        return float(text) != 0
    except ValueError:
        return text.strip() not in ("0b", "0B", "0m", "0M", "0g", "0G", "0k", "0K")


def resource_limits(service: Service) -> ResourceLimits:
    node = service.node
    limits = find(node, ("deploy", "resources", "limits"))
    memory = cpus = None
    if isinstance(limits, YMap):
        if _is_set(limits.get("memory")):
            memory = limits.get("memory").span
        if _is_set(limits.get("cpus")):
            cpus = limits.get("cpus").span
    for key in _MEMORY_KEYS:
        if memory is None and _is_set(node.get(key)):
            memory = node.get(key).span
    for key in _CPU_KEYS:
        if cpus is None and _is_set(node.get(key)):
            cpus = node.get(key).span
    return ResourceLimits(memory, cpus, _limits_anchor(service))


def _limits_anchor(service: Service) -> Span:
    node: YNode = service.node
    best = service.name_span
    for key in ("deploy", "resources", "limits"):
        if not isinstance(node, YMap) or key not in node.entries:
            break
        entry = node.entries[key]
        best = entry.key.span
        node = entry.value
    return best


# --------------------------------------------------------------------------- restart policy


@record(frozen=True, slots=True)
class RestartPolicy:
    condition: str  # always | unless-stopped | on-failure | any
    max_attempts: int  # 0: no bound
    span: Span  # the value to edit
    text: str  # as a user reads it: "restart: always"
    ignored: bool = False  # a `restart:` Swarm ignores: Swarm's default policy (any, no bound) applies


def restart_policy(service: Service, swarm: bool = False) -> RestartPolicy | None:
    """The policy under which Docker restarts the container; None when it never restarts.

    ``deploy.restart_policy`` wins over ``restart``, as in Compose (its ``condition``
    defaults to ``any``, as the specification says). Under Swarm (``swarm``) ``restart`` is
    ignored: a service that writes one gets Swarm's default, ``condition: any`` without
    ``max_attempts`` (one that writes neither is not reported: nothing was asked of it).
    """
    deploy_policy = find(service.node, ("deploy", "restart_policy"))
    if isinstance(deploy_policy, YMap):
        condition_node = deploy_policy.get("condition")
        condition = (scalar_text(condition_node) or "any").strip().lower()
        if condition in ("none", "no"):
            return None
        attempts = _integer(deploy_policy.get("max_attempts"))
        deploy = service.node.get("deploy")
        span = condition_node.span if condition_node is not None else (
            deploy.key_span("restart_policy") if isinstance(deploy, YMap) else None) or deploy_policy.span
        return RestartPolicy(condition, attempts, span, f"restart_policy.condition: {condition}")
    node = service.get("restart")
    text = scalar_text(node)
    if text is None:
        return None
    if swarm:
        return RestartPolicy("any", 0, node.span, f"restart: {text.strip()}", ignored=True)
    name, _, count = text.strip().lower().partition(":")
    if name in ("always", "unless-stopped"):
        return RestartPolicy(name, 0, node.span, f"restart: {text.strip()}")
    if name == "on-failure":
        attempts = decimal_value(count.strip()) or 0
        return RestartPolicy(name, attempts, node.span, f"restart: {text.strip()}")
    return None


def _integer(node: YNode | None) -> int:
    text = scalar_text(node)
    if text is None or isinstance(getattr(node, "value", None), bool):
        return 0
    text = text.strip()
    return decimal_value(text) or 0


# --------------------------------------------------------------------------- healthcheck


@record(frozen=True, slots=True)
class Health:
    defined: bool  # a healthcheck test runs (from compose or from the Dockerfile it builds)
    disabled: bool  # switched off on purpose (``disable: true``, ``test: ["NONE"]``, ``HEALTHCHECK NONE``)
    span: Span | None  # where it is defined or disabled
    source: str  # "compose" | "dockerfile" | ""
    image_known: bool  # False when the image (or the base it is built FROM) is pulled: its own HEALTHCHECK is unseen


def healthcheck(service: Service) -> Health:
    node = service.get("healthcheck")
    image = _image_healthcheck(service)
    if isinstance(node, YMap):
        disable = node.get("disable")
        if isinstance(disable, YScalar) and (disable.value is True or scalar_text(disable) == "true"):
            return Health(False, True, disable.span, "compose", image.image_known)
        test = node.get("test")
        words = _test_words(test)
        if words and words[0].upper() == "NONE":
            return Health(False, True, test.span, "compose", image.image_known)
        if words:
            return Health(True, False, test.span, "compose", image.image_known)
        # Only timings: the image's test runs with them.
    return image


def _test_words(node: YNode | None) -> list[str]:
    if isinstance(node, YSeq):
        return [text for text in (scalar_text(item) for item in node.items) if text is not None]
    text = scalar_text(node)
    return [text] if text and text.strip() else []


def _image_healthcheck(service: Service) -> Health:
    dockerfile, stage = service.dockerfile, service.stage
    if dockerfile is None or stage is None:
        return Health(False, False, None, "", False)
    from composelint.assembly.linking import stage_chain

    chain = stage_chain(dockerfile, stage)
    found = None
    for current in reversed(chain):
        for instruction in current.instructions:
            if instruction.keyword == "HEALTHCHECK":
                found = instruction
    known = chain[-1].base_resolved.lower() == "scratch"
    if found is None:
        return Health(False, False, None, "", known)
    words = found.arguments.split()
    if words and words[0].upper() == "NONE":
        return Health(False, True, found.span, "dockerfile", True)
    return Health(True, False, found.span, "dockerfile", True)


# --------------------------------------------------------------------------- images


def matches(patterns, service: Service) -> bool:
    """Whether an allow-list entry names the service or its image repository (globs: ``portainer/*``).

    ``postgres`` matches ``postgres:16``, ``library/postgres`` and ``docker.io/library/postgres``.
    """
    if not patterns:
        return False
    images: tuple[str, ...] = ()
    if service.image is not None:
        ref = parse_image_ref(service.image.value)
        images = (ref.short, ref.repository.lower())
    for pattern in patterns:
        if fnmatch.fnmatchcase(service.name, pattern):
            return True
        if any(fnmatch.fnmatchcase(image, pattern.lower()) for image in images):
            return True
    return False


# --------------------------------------------------------------------------- environment

_VARIABLE = re.compile(r"\$(?:\{|[A-Za-z_])")


def has_variable(raw: str | None) -> bool:
    """Whether text as written refers to a variable (``${X}``, ``$X``; ``$$`` is a literal dollar)."""
    return raw is not None and bool(_VARIABLE.search(raw.replace("$$", "")))


def _source_line(project, path: str, number: int) -> str | None:
    text = project.sources.get(path)
    return source_text(text).line(number) if text is not None else None


def env_value_span(project, key: str, value) -> Span:
    """Where the value of ``KEY: value`` or ``- KEY=value`` is written (the whole entry if unsure)."""
    span = value.span
    if span.end is None or span.end.line != span.start.line:
        return span
    line = _source_line(project, span.path, span.start.line)
    if line is None:
        return span
    written = line[span.start.column - 1:span.end.column - 1]
    quote = written[:1] if written[:1] in ("'", '"') and written[-1:] == written[:1] and len(written) > 1 else ""
    inner = written[1:-1] if quote else written
    if not inner.startswith(key + "="):
        return span  # the mapping form: the span is the value already
    start = span.start.column + len(quote) + len(key) + 1
    end = span.end.column - len(quote)
    return Span(span.path, Position(span.start.line, start), Position(span.start.line, end))


# --------------------------------------------------------------------------- volumes

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@record(frozen=True, slots=True)
class Mount:
    kind: str  # "bind" | "volume" | "tmpfs" | "anonymous" | other long-syntax types
    source: str | None
    target: str | None
    span: Span  # the entry (short syntax) or its ``source`` value (long syntax)


def mounts(service: Service) -> Iterator[Mount]:
    node = service.get("volumes")
    if not isinstance(node, YSeq):
        return
    for item in node.items:
        if isinstance(item, YMap):
            kind = scalar_text(item.get("type")) or "volume"
            source_node = item.get("source")
            span = source_node.span if source_node is not None else item.span
            yield Mount(kind, scalar_text(source_node), scalar_text(item.get("target")), span)
            continue
        text = scalar_text(item)
        if not text:
            continue
        yield _short_mount(text, item.span)


def _short_mount(text: str, span: Span) -> Mount:
    drive = ""
    rest = text
    if _DRIVE.match(text):
        drive, rest = text[:2], text[2:]
    parts = rest.split(":")
    if len(parts) == 1:
        return Mount("anonymous", None, drive + parts[0], span)
    source, target = drive + parts[0], parts[1]
    bind = source.startswith(("/", ".", "~", "\\")) or bool(drive)
    return Mount("bind" if bind else "volume", source, target, span)
