"""Merge compose files as ``docker compose -f a -f b`` does, with ``include:`` and ``extends``.

The rules are compose-go's (``override/merge.go`` and ``override/uncity.go``), checked
against ``docker compose config`` (tests/test_oracle_compose.py):

* mappings merge key by key; a ``null`` in the later file keeps the earlier value;
  ``!reset`` removes a value and ``!override`` replaces it whole;
* ``command``, ``entrypoint``, ``healthcheck.test`` and each ``ulimits`` entry are replaced;
* key/value attributes (``environment``, ``labels``, ``annotations``, ``sysctls``,
  ``build.args`` …) merge by key whatever their syntax (list ``KEY=VALUE`` or mapping);
* ``depends_on`` and a service's ``networks`` merge as mappings (a list is turned into one);
  ``build: ./dir`` merges as ``build: {context: ./dir}``; ``logging`` is replaced when the
  two files name different drivers;
* other sequences append, then entries with the same identity keep the first position and
  the last value: ``ports`` by host IP, published port, target and protocol, ``volumes`` and
  ``devices`` by container path, ``secrets``/``configs`` by target, ``expose``, ``dns``,
  ``cap_add``, ``profiles`` … by value.

Every merged node keeps its span, so a merged value still points at the line that wrote it.

:class:`ModelBuilder` loads one deployment the way compose-go's loader does: each file is
interpolated with the deployment's environment, its ``extends`` are resolved (``extends.file``
relative to the working directory of the load; the inherited definition's own relative paths
against the extended file's directory), its ``include:`` entries are loaded as sub-projects
(their own project directory and ``.env``, the outer environment winning) and imported, and
then it is merged into what the earlier files built. It never reads a file itself: a
:class:`Source` gives it interpolated roots. A missing or escaping file, a cycle, or an
extended service that does not exist becomes a problem (CL008), never an exception or a
recursion error.
"""

from __future__ import annotations

from dataclasses import field
from types import MappingProxyType
from typing import Callable, Iterable, Mapping, Protocol

from composelint.diagnostics import Position, Span
from composelint.model import ParseProblem
from composelint.parsers.ports import parse_port_spec, port_key
from composelint.records import record
from composelint.relpaths import dirname, resolve_relative
from composelint.textnumbers import decimal_value
from composelint.yamltree import YEntry, YMap, YNode, YScalar, YSeq, plain, scalar_text

# ----------------------------------------------------------------------------- merge rules

# Top-level sections whose keys are names (their second path element is a wildcard).
_NAMED_SECTIONS = frozenset(("services", "networks", "volumes", "secrets", "configs", "models"))
_SERVICE_NAMED_CHILDREN = frozenset(("ulimits", "networks"))


def child_path(path: tuple[str, ...], key: str) -> tuple[str, ...]:
    """The generalised path of ``key`` under ``path``: resource names become ``*``."""
    if len(path) == 1 and path[0] in _NAMED_SECTIONS:
        return (path[0], "*")
    if len(path) == 3 and path[0] == "services" and path[2] in _SERVICE_NAMED_CHILDREN:
        return path + ("*",)
    return path + (key,)


def _is_null(node: YNode) -> bool:
    return isinstance(node, YScalar) and node.value is None and node.tag is None


def merge_mappings(base: YMap, override: YMap, path: tuple[str, ...] = ()) -> YMap:
    """``override`` merged over ``base`` (both mappings at ``path``)."""
    entries = dict(base.entries)
    for key, entry in override.entries.items():
        value = entry.value
        if value.tag == "!reset":
            entries.pop(key, None)
            continue
        current = entries.get(key)
        if current is None or value.tag == "!override":
            entries[key] = YEntry(entry.key, _untag(value), entry.merged)
            continue
        entries[key] = YEntry(current.key, merge_values(current.value, value, child_path(path, key)),
                              current.merged)
    return YMap(entries, base.span, base.tag)


def merge_values(base: YNode, override: YNode, path: tuple[str, ...]) -> YNode:
    special = _SPECIALS.get(path)
    if special is not None:
        return special(base, override, path)
    if _is_null(override):
        return base
    if isinstance(base, YMap) and isinstance(override, YMap):
        return merge_mappings(base, override, path)
    if isinstance(base, YSeq) and isinstance(override, YSeq):
        return YSeq(base.items + override.items, base.span, base.tag)
    return override


def _replace(base: YNode, override: YNode, path) -> YNode:
    return override


def _untag(node: YNode) -> YNode:
    if node.tag != "!override":
        return node
    if isinstance(node, YMap):
        return YMap(node.entries, node.span)
    if isinstance(node, YSeq):
        return YSeq(node.items, node.span)
    return YScalar(node.value, node.span, None, node.style, node.raw)


def _split_item(item: YNode, separator: str = "=") -> tuple[str, YScalar, YScalar] | None:
    """``KEY=VALUE`` as a key node and a value node, both positioned; None for a non-scalar."""
    text = scalar_text(item)
    if text is None:
        return None
    name, sep, value = text.partition(separator)
    span = item.span
    name_span = Span(span.path, span.start, Position(span.start.line, span.start.column + len(name)))
    raw = getattr(item, "raw", None)  # keep "before interpolation" so `${VAR}` values stay recognisable
    raw_value = raw.partition(separator)[2] if raw is not None and sep else None
    return name, YScalar(name, name_span), YScalar(value if sep else None, span, None,
                                                    getattr(item, "style", ""), raw_value)


def as_mapping(node: YNode, key: str = "") -> YMap:
    """``- KEY=VALUE`` items as a mapping, so both syntaxes merge by key."""
    if isinstance(node, YMap):
        return node
    entries = {}
    items = node.items if isinstance(node, YSeq) else ((node,) if isinstance(node, YScalar) else ())
    for item in items:
        split = _split_item(item)
        if split is None:
            continue
        name, key_node, value_node = split
        entries[name] = YEntry(key_node, value_node)
    return YMap(entries, node.span)


def _merge_keyed(base: YNode, override: YNode, path) -> YNode:
    """Key/value attributes: the later definition of a key wins, at the earlier position."""
    if _is_null(override):
        return base
    if _is_null(base):
        return override
    entries = dict(as_mapping(base).entries)
    for name, entry in as_mapping(override).entries.items():
        if entry.value.tag != "!reset":  # compose-go drops such an entry, and keeps the earlier value
            entries[name] = entry
    return YMap(entries, base.span, base.tag)


def _as_sequence(node: YNode) -> tuple:
    if isinstance(node, YSeq):
        return node.items
    if isinstance(node, YMap):  # {key: value} -> "key=value", as compose-go converts it
        items = []
        for name, entry in node.entries.items():
            values = entry.value.items if isinstance(entry.value, YSeq) else (entry.value,)
            for value in values:
                text = scalar_text(value)
                items.append(YScalar(name if text is None else f"{name}={text}", value.span))
        return tuple(items)
    if isinstance(node, YScalar) and node.value is not None:
        return (node,)
    return ()


def _merge_listed(base: YNode, override: YNode, path) -> YNode:
    """``dns``, ``tmpfs``, ``env_file`` …: a string is a one-item list; lists append."""
    if _is_null(override):
        return base
    return YSeq(_as_sequence(base) + _as_sequence(override), base.span, base.tag)


def _merge_extra_hosts(base: YNode, override: YNode, path) -> YNode:
    if _is_null(override):
        return base
    left = _as_sequence(base)
    seen = {scalar_text(item) for item in left}
    return YSeq(left + tuple(item for item in _as_sequence(override) if scalar_text(item) not in seen),
                base.span, base.tag)


def _name_mapping(node: YNode, default: Callable[[YScalar], YNode] | None = None) -> YMap | None:
    if isinstance(node, YMap):
        return node
    if not isinstance(node, YSeq):
        return None
    entries = {}
    for item in node.items:
        name = scalar_text(item)
        if name:
            entries[name] = YEntry(YScalar(name, item.span),
                                   default(item) if default else YScalar(None, item.span))
    return YMap(entries, node.span, node.tag)


def _dependency_defaults(item: YScalar) -> YMap:
    span = item.span
    return YMap({"condition": YEntry(YScalar("condition", span), YScalar("service_started", span)),
                 "required": YEntry(YScalar("required", span), YScalar(True, span))}, span)


def dependency_mapping(node: YNode) -> YMap | None:
    return _name_mapping(node, _dependency_defaults)


def _merge_by_name(default):
    def merge(base: YNode, override: YNode, path) -> YNode:
        if _is_null(override):
            return base
        left, right = _name_mapping(base, default), _name_mapping(override, default)
        if left is None or right is None:
            return override
        return merge_mappings(left, right, path)

    return merge


def _build_mapping(node: YNode) -> YMap | None:
    if isinstance(node, YMap):
        return node
    if isinstance(node, YScalar) and node.value is not None:
        return YMap({"context": YEntry(YScalar("context", node.span), node)}, node.span)
    return None


def _merge_build(base: YNode, override: YNode, path) -> YNode:
    left, right = _build_mapping(base), _build_mapping(override)
    if right is None:
        return base
    if left is None:
        return override
    return merge_mappings(left, right, path)


def _merge_logging(base: YNode, override: YNode, path) -> YNode:
    if not (isinstance(base, YMap) and isinstance(override, YMap)):
        return base if _is_null(override) else override
    left, right = scalar_text(base.get("driver")), scalar_text(override.get("driver"))
    if left is not None and right is not None and left != right:
        return override
    return merge_mappings(base, override, path)


_KEYED_PATHS = (
    ("networks", "*", "labels"), ("volumes", "*", "labels"), ("services", "*", "annotations"),
    ("services", "*", "build", "args"), ("services", "*", "build", "additional_contexts"),
    ("services", "*", "build", "labels"), ("services", "*", "deploy", "labels"),
    ("services", "*", "environment"), ("services", "*", "labels"), ("services", "*", "sysctls"),
)
_LISTED_PATHS = (
    ("services", "*", "dns"), ("services", "*", "dns_opt"), ("services", "*", "dns_search"),
    ("services", "*", "env_file"), ("services", "*", "label_file"), ("services", "*", "tmpfs"),
)
_SPECIALS: dict[tuple, Callable] = {
    **{path: _merge_keyed for path in _KEYED_PATHS},
    **{path: _merge_listed for path in _LISTED_PATHS},
    ("services", "*", "build"): _merge_build,
    ("services", "*", "build", "extra_hosts"): _merge_extra_hosts,
    ("services", "*", "extra_hosts"): _merge_extra_hosts,
    ("services", "*", "command"): _replace,
    ("services", "*", "entrypoint"): _replace,
    ("services", "*", "healthcheck", "test"): _replace,
    ("services", "*", "ulimits", "*"): _replace,
    ("services", "*", "logging"): _merge_logging,
    ("services", "*", "depends_on"): _merge_by_name(_dependency_defaults),
    ("services", "*", "networks"): _merge_by_name(None),
}

# ----------------------------------------------------------------------------- unicity


def _key_before_equals(item: YNode) -> str:
    text = scalar_text(item)
    if text is None:
        return repr(plain(item))
    return text.partition("=")[0]


def _volume_target(item: YNode) -> str:
    if isinstance(item, YMap):
        return scalar_text(item.get("target")) or ""
    text = scalar_text(item) or ""
    parts = _split_volume(text)
    return parts[1] if len(parts) >= 2 else parts[0]


def _split_volume(text: str) -> list[str]:
    """``SOURCE:TARGET[:MODE]``; a Windows drive letter (``C:\\x``) is not a separator."""
    parts: list[str] = []
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == ":" and not (len(current) == 1 and current.isalpha() and text[index + 1:index + 2] in ("\\", "/")
                                and not parts):
            parts.append(current)
            current = ""
        else:
            current += char
        index += 1
    parts.append(current)
    return parts


def _device_target(item: YNode) -> str:
    if isinstance(item, YMap):
        return scalar_text(item.get("target")) or ""
    parts = (scalar_text(item) or "").split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _mount_target(default_dir: str):
    def identity(item: YNode) -> str:
        if isinstance(item, YMap):
            target = scalar_text(item.get("target"))
            return target if target is not None else f"{default_dir}/{scalar_text(item.get('source'))}"
        return f"{default_dir}/{scalar_text(item)}"

    return identity


def _env_file_path(item: YNode) -> str:
    if isinstance(item, YMap):
        return scalar_text(item.get("path")) or ""
    return scalar_text(item) or ""


def _plain_text(item: YNode) -> str:
    text = scalar_text(item)
    return text if text is not None else repr(plain(item))


def port_identity(item: YNode) -> str:
    """Host IP, published port, target port and protocol, as compose-go compares ports."""
    if isinstance(item, YMap):
        return port_key(scalar_text(item.get("host_ip")) or "", scalar_text(item.get("published")) or "",
                        scalar_text(item.get("target")) or "", scalar_text(item.get("protocol")) or "")
    return parse_port_spec(scalar_text(item) or "").identity


def _range(text: str) -> tuple[int, int] | None:
    low_text, sep, high_text = text.partition("-")
    low = decimal_value(low_text)
    high = decimal_value(high_text) if sep else low
    if low is None or high is None:
        return None
    return low, high


def _expanded_port(item: YNode) -> list[YScalar] | None:
    """A short-syntax port range as one entry per port (as compose-go's canonical form has it)."""
    text = scalar_text(item)
    if not isinstance(item, YScalar) or not text:
        return None
    spec = parse_port_spec(text)
    host, published, target, protocol = spec.address, spec.published, spec.target, spec.protocol or "tcp"
    targets = _range(target)
    publisheds = _range(published) if published else None
    if targets is None or targets[0] == targets[1] or targets[1] - targets[0] > 65535:
        return None
    if published and (publisheds is None or publisheds[1] - publisheds[0] != targets[1] - targets[0]):
        return None
    prefix = f"[{host}]:" if ":" in host else f"{host}:" if host else ""
    items = []
    for offset in range(targets[1] - targets[0] + 1):
        host_port = f"{publisheds[0] + offset}:" if publisheds else (":" if host else "")
        items.append(YScalar(f"{prefix}{host_port}{targets[0] + offset}/{protocol}", item.span))
    return items


def _unique_ports(node: YSeq) -> YSeq:
    """Ports unique by binding; a range that collides with another entry is split first, as Compose does."""
    seen: dict[str, int] = {}
    collide = False
    expansions: list[list[YScalar] | None] = []
    for index, item in enumerate(node.items):
        expanded = _expanded_port(item)
        expansions.append(expanded)
        for key in ([port_identity(part) for part in expanded] if expanded else [port_identity(item)]):
            if seen.setdefault(key, index) != index:
                collide = True
    if not collide:
        return node
    items: list[YNode] = []
    for item, expanded in zip(node.items, expansions):
        items.extend(expanded if expanded else (item,))
    return _unique_items(YSeq(tuple(items), node.span, node.tag), port_identity)


_UNIQUE: dict[str, Callable[[YNode], str]] = {
    "annotations": _key_before_equals, "cap_add": _key_before_equals, "cap_drop": _key_before_equals,
    "devices": _device_target, "configs": _mount_target(""), "dns": _key_before_equals,
    "dns_opt": _key_before_equals, "dns_search": _key_before_equals, "environment": _key_before_equals,
    "env_file": _env_file_path, "expose": _plain_text, "labels": _key_before_equals,
    "links": _key_before_equals, "ports": port_identity, "profiles": _key_before_equals,
    "secrets": _mount_target("/run/secrets"), "sysctls": _key_before_equals, "tmpfs": _key_before_equals,
    "volumes": _volume_target,
}
_UNIQUE_BUILD: dict[str, Callable[[YNode], str]] = {
    "args": _key_before_equals, "additional_contexts": _key_before_equals, "platforms": _key_before_equals,
    "tags": _key_before_equals, "labels": _key_before_equals,
}


def _unique_items(node: YSeq, identity: Callable[[YNode], str]) -> YSeq:
    positions: dict[str, int] = {}
    items: list[YNode] = []
    for item in node.items:
        key = identity(item)
        index = positions.get(key)
        if index is None:
            positions[key] = len(items)
            items.append(item)
        else:
            items[index] = item
    if len(items) == len(node.items):
        return node
    return YSeq(tuple(items), node.span, node.tag)


def _unique_in(mapping: YMap, table: Mapping[str, Callable[[YNode], str]]) -> YMap:
    entries = None
    for key, entry in mapping.entries.items():
        identity = table.get(key)
        if identity is None or not isinstance(entry.value, YSeq):
            continue
        unique = _unique_ports(entry.value) if identity is port_identity else _unique_items(entry.value, identity)
        if unique is not entry.value:
            if entries is None:
                entries = dict(mapping.entries)
            entries[key] = YEntry(entry.key, unique, entry.merged)
    return mapping if entries is None else YMap(entries, mapping.span, mapping.tag)


def unique_service(node: YMap) -> YMap:
    """A service with compose-go's unicity applied to its lists (the same node when nothing repeats)."""
    result = _unique_in(node, _UNIQUE)
    build = result.get("build")
    if isinstance(build, YMap):
        unique_build = _unique_in(build, _UNIQUE_BUILD)
        if unique_build is not build:
            entries = dict(result.entries)
            entries["build"] = YEntry(result.entries["build"].key, unique_build)
            result = YMap(entries, result.span, result.tag)
    networks = result.get("networks")
    if isinstance(networks, YMap):
        changed = None
        for name, entry in networks.entries.items():
            if isinstance(entry.value, YMap):
                unique = _unique_in(entry.value, {"aliases": _key_before_equals, "link_local_ips": _key_before_equals})
                if unique is not entry.value:
                    changed = changed if changed is not None else dict(networks.entries)
                    changed[name] = YEntry(entry.key, unique, entry.merged)
        if changed is not None:
            entries = dict(result.entries)
            entries["networks"] = YEntry(result.entries["networks"].key, YMap(changed, networks.span, networks.tag))
            result = YMap(entries, result.span, result.tag)
    return result


def unique_services(root: YMap, names: Iterable[str] | None = None) -> YMap:
    """``root`` with unicity applied to the services named (all when None)."""
    section = root.get("services")
    if not isinstance(section, YMap):
        return root
    entries = None
    for name in (section.entries if names is None else names):
        entry = section.entries.get(name)
        if entry is None or not isinstance(entry.value, YMap):
            continue
        unique = unique_service(entry.value)
        if unique is not entry.value:
            if entries is None:
                entries = dict(section.entries)
            entries[name] = YEntry(entry.key, unique, entry.merged)
    if entries is None:
        return root
    top = dict(root.entries)
    top["services"] = YEntry(root.entries["services"].key, YMap(entries, section.span, section.tag))
    return YMap(top, root.span, root.tag)


def merge_files_roots(base: YMap | None, override: YMap) -> YMap:
    """One more file (already interpolated, its extends and includes applied) merged over the model."""
    if base is None:
        return unique_services(merge_mappings(YMap({}, override.span), override))  # applies !reset / !override
    services = override.get("services")
    touched = list(services.entries) if isinstance(services, YMap) else []
    return unique_services(merge_mappings(base, override), touched)


# ----------------------------------------------------------------------------- loading a deployment


class Source(Protocol):
    """What :class:`ModelBuilder` needs from the layer that reads files (project.py)."""

    def exists(self, relpath: str) -> bool: ...

    def interpolated(self, relpath: str, environment: "Environment") -> YMap | None: ...

    def include_environment(self, outer: "Environment", directory: str,
                            env_files: tuple[str, ...]) -> "Environment": ...


@record(frozen=True)
class Environment:
    """Variables for interpolation; ``key`` identifies the values (for caches)."""

    values: Mapping[str, str]
    key: tuple = ()
    # Whether the deployment's environment is known: a committed .env, env files, the configuration's
    # `env` or --use-environment. Unknown (the .env is not committed, the recommended practice): an unset
    # variable is one the deployer sets, so no finding may rest on it being empty.
    known: bool = True
    examples: tuple[str, ...] = ()  # example env files (env.example…) whose values stand in when unknown
    automation: str | None = None  # "path:line" of the automation that runs it (it may export variables)

    @classmethod
    def of(cls, values: Mapping[str, str], known: bool = True, examples: tuple[str, ...] = (),
           automation: str | None = None) -> "Environment":
        frozen = dict(values)
        key = tuple(sorted(frozen.items()))
        if not known or examples or automation:
            key = (("~known", known, examples, automation),) + key
        return cls(MappingProxyType(frozen), key, known, examples, automation)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


@record
class LoadedModel:
    root: YMap | None
    base_dirs: dict[str, str] = field(default_factory=dict)  # file -> directory its relative paths resolve against
    included: list[str] = field(default_factory=list)  # files pulled in through include: / extends.file, in order
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from file, to file, "include"|"extends")
    problems: list[ParseProblem] = field(default_factory=list)
    # (file, service) -> key spans of the definitions it inherits through extends, nearest first
    extends_chains: dict[tuple[str, str], tuple[Span, ...]] = field(default_factory=dict)


def _scalar_items(node: YNode | None) -> list[YNode]:
    """One path written as a scalar, or several as a sequence (``include`` ``path``, ``env_file``)."""
    return [node] if isinstance(node, YScalar) else list(node.items) if isinstance(node, YSeq) else []


MAX_INCLUDE_DEPTH = 64
_UNRESOLVED_HELP = "fix the path so that it names a file inside the repository, or remove the reference"


class ModelBuilder:
    """Loads the files of one deployment as compose-go does (see the module docstring)."""

    def __init__(self, source: Source):
        self.source = source
        self.result = LoadedModel(None)
        self._include_memo: dict[tuple, YMap | None] = {}
        self._reported: set[tuple] = set()

    # -- problems ----------------------------------------------------------------------------

    def problem(self, code: str, message: str, span: Span, help_text: str = _UNRESOLVED_HELP) -> None:
        key = (code, span, message)
        if key not in self._reported:
            self._reported.add(key)
            self.result.problems.append(ParseProblem(code, message, span, help_text))

    def _add_file_edge(self, path: str, target: str, kind: str) -> None:
        """``path`` pulls in ``target`` (``kind``: "include" or "extends"), which joins the deployment's files."""
        self.result.edges.append((path, target, kind))
        if target not in self.result.included:
            self.result.included.append(target)

    def _check_file(self, written: str, resolved: str | None, span: Span, what: str) -> bool:
        if resolved is None:
            self.problem("CL008", f"{what} `{written}` is outside the project root: composelint does not read it, "
                                  "and the deployment depends on a file the repository does not hold", span)
            return False
        if not self.source.exists(resolved):
            where = f" (`{resolved}`)" if resolved != written else ""
            self.problem("CL008", f"{what} `{written}`{where} does not exist: Compose refuses to load the "
                                  "deployment", span)
            return False
        return True

    # -- layers ------------------------------------------------------------------------------

    def load(self, files: Iterable[str], working_dir: str, environment: Environment) -> LoadedModel:
        self.result.root = self._load_project(tuple(files), working_dir, environment, ())
        return self.result

    def _load_project(self, files: tuple[str, ...], working_dir: str, environment: Environment,
                      chain: tuple[tuple[str, Span | None], ...], via: tuple[Span | None, ...] = ()) -> YMap | None:
        """Files merged in order; ``chain`` holds the including files (and the entries that included them)."""
        model = None
        for index, path in enumerate(files):
            layer = self._load_layer(path, working_dir, environment, chain + ((path, via[index] if via else None),))
            if layer is not None:
                model = merge_files_roots(model, layer)
        return model

    def _load_layer(self, path: str, working_dir: str, environment: Environment,
                    chain: tuple[tuple[str, Span | None], ...]) -> YMap | None:
        cfg = self.source.interpolated(path, environment)
        if cfg is None:
            return None
        self.result.base_dirs.setdefault(path, working_dir)
        cfg = self._apply_extends(cfg, path, working_dir, environment)
        return self._apply_include(cfg, path, working_dir, environment, chain)

    # -- extends -----------------------------------------------------------------------------

    def _apply_extends(self, cfg: YMap, path: str, working_dir: str, environment: Environment) -> YMap:
        services = cfg.get("services")
        if not isinstance(services, YMap) or not any(
                isinstance(entry.value, YMap) and "extends" in entry.value.entries
                for entry in services.entries.values()):
            return cfg
        resolver = _ExtendsResolver(self, environment)
        entries = dict(services.entries)
        for name, entry in services.entries.items():
            if isinstance(entry.value, YMap) and "extends" in entry.value.entries:
                resolved = resolver.resolve(path, working_dir, services, name)
                entries[name] = YEntry(entry.key, resolved, entry.merged)
        top = dict(cfg.entries)
        top["services"] = YEntry(cfg.entries["services"].key, YMap(entries, services.span, services.tag))
        return YMap(top, cfg.span, cfg.tag)

    # -- include -----------------------------------------------------------------------------

    def _apply_include(self, cfg: YMap, path: str, working_dir: str, environment: Environment,
                       chain: tuple[tuple[str, Span | None], ...]) -> YMap:
        node = cfg.get("include")
        if node is None:
            return cfg
        top = dict(cfg.entries)
        del top["include"]
        if not isinstance(node, YSeq):
            return YMap(top, cfg.span, cfg.tag)  # the schema rule reports the shape
        sections: dict[str, dict] = {}
        for section in _IMPORTED:
            entry = top.get(section)
            if entry is not None and isinstance(entry.value, YMap):
                sections[section] = dict(entry.value.entries)
        for item in node.items:
            imported = self._include_entry(item, path, working_dir, environment, chain)
            if imported is not None:
                self._import(sections, imported)
        for section, entries in sections.items():
            entry = top.get(section)
            if entry is not None and isinstance(entry.value, YMap):
                top[section] = YEntry(entry.key, YMap(entries, entry.value.span, entry.value.tag), entry.merged)
            elif entries:
                top[section] = YEntry(YScalar(section, node.span), YMap(entries, node.span))
        return YMap(top, cfg.span, cfg.tag)

    def _include_entry(self, item: YNode, path: str, working_dir: str, environment: Environment,
                       chain: tuple[tuple[str, Span | None], ...]) -> YMap | None:
        if isinstance(item, YScalar):
            paths_node, project_dir_node, env_node = item, None, None
        elif isinstance(item, YMap):
            paths_node, project_dir_node, env_node = item.get("path"), item.get("project_directory"), item.get("env_file")
        else:
            return None
        written = _scalar_items(paths_node)
        files: list[str] = []
        spans: list[Span] = []
        including = [link[0] for link in chain]
        for node in written:
            text = scalar_text(node)
            if text is None:
                continue
            resolved = resolve_relative(working_dir, text)
            if not self._check_file(text, resolved, node.span, "included file"):
                return None
            if not files and resolved in including:
                start = including.index(resolved)
                cycle = " -> ".join(including[start:] + [resolved])
                # every `include:` entry on the cycle is reported: each is a place to break it
                for span in [link[1] for link in chain[start + 1:]] + [node.span]:
                    if span is not None:
                        self.problem("CL008", f"include cycle: `{cycle}`; Compose refuses to load the deployment",
                                     span, "remove one of the `include:` entries that close the cycle")
                return None
            files.append(resolved)
            spans.append(node.span)
        if not files or len(chain) > MAX_INCLUDE_DEPTH:
            if files:
                self.problem("CL007", f"`include:` nests deeper than {MAX_INCLUDE_DEPTH} files: composelint stops "
                                      "following it here, a bound that keeps hostile input cheap", item.span,
                             "flatten the include chain")
            return None
        project_dir_text = scalar_text(project_dir_node)
        if project_dir_text is not None:
            project_dir = resolve_relative(working_dir, project_dir_text)
            if project_dir is None:
                self.problem("CL008", f"include `project_directory` `{project_dir_text}` is outside the project "
                                      "root: composelint does not read it", project_dir_node.span)
                return None
        else:
            project_dir = dirname(files[0])
        env_files: list[str] = []
        for node in _scalar_items(env_node):
            text = scalar_text(node)
            if text is None or text == "/dev/null":
                continue
            resolved = resolve_relative(working_dir, text)
            if not self._check_file(text, resolved, node.span, "include `env_file`"):
                return None
            env_files.append(resolved)
        include_env = self.source.include_environment(environment, project_dir, tuple(env_files))
        for target in files:
            self._add_file_edge(path, target, "include")
        key = (tuple(files), project_dir, include_env.key)
        if key not in self._include_memo:
            self._include_memo[key] = None  # a re-entrant request is a cycle, already reported above
            self._include_memo[key] = self._load_project(tuple(files), project_dir, include_env, chain, tuple(spans))
        return self._include_memo[key]

    def _import(self, sections: dict, imported: YMap) -> None:
        """Add an included model's resources; ``sections`` maps a section to its growing entries."""
        for section in _IMPORTED:
            source = imported.get(section)
            if not isinstance(source, YMap):
                continue
            entries = sections.setdefault(section, {})
            for name, entry in source.entries.items():
                existing = entries.get(name)
                if existing is None:
                    entries[name] = entry
                    continue
                if plain(existing.value) == plain(entry.value):
                    continue
                what = "service" if section == "services" else section[:-1]
                self.problem("CL002", f"{what} `{name}` is defined here and in the included file "
                                      f"`{entry.key.span.path}`: Compose refuses to load the deployment "
                                      "(`conflicts with imported resource`)",
                             existing.key.span, "rename one of them, or define it in one place only")


_IMPORTED = ("services", "volumes", "networks", "secrets", "configs", "models")


class _ExtendsResolver:
    """``extends`` of the services of one file, iteratively (no recursion on attacker-controlled depth)."""

    def __init__(self, builder: ModelBuilder, environment: Environment):
        self.builder = builder
        self.environment = environment
        self.done: dict[tuple[str, str], YMap] = {}

    def _target(self, file: str, working_dir: str, services: YMap, name: str):
        """Where ``services[name].extends`` points: (file, working dir, services, ref, extends node) or None."""
        node = services.get(name)
        extends = node.get("extends") if isinstance(node, YMap) else None
        if extends is None:
            return None
        if isinstance(extends, YScalar):
            ref, file_node = scalar_text(extends), None
        elif isinstance(extends, YMap):
            ref, file_node = scalar_text(extends.get("service")), extends.get("file")
        else:
            return None
        if not ref:
            return None
        if file_node is not None and scalar_text(file_node) is not None:
            written = scalar_text(file_node)
            target = resolve_relative(working_dir, written)
            if not self.builder._check_file(written, target, file_node.span, "extended file"):
                return False
            root = self.builder.source.interpolated(target, self.environment)
            target_services = root.get("services") if isinstance(root, YMap) else None
            if not isinstance(target_services, YMap) or not isinstance(target_services.get(ref), YMap):
                self.builder.problem("CL008", f"service `{name}` extends `{ref}`, which `{target}` does not "
                                              "define: Compose refuses to load the deployment", extends.span,
                                     "name a service that the extended file defines")
                return False
            self.builder.result.base_dirs.setdefault(target, dirname(target))
            self.builder._add_file_edge(file, target, "extends")
            return target, dirname(target), target_services, ref, extends
        if not isinstance(services.get(ref), YMap):
            self.builder.problem("CL008", f"service `{name}` extends `{ref}`, which `{file}` does not define: "
                                          "Compose refuses to load the deployment", extends.span,
                                 "name a service defined in the same file, or add `file:`")
            return False
        return file, working_dir, services, ref, extends

    def resolve(self, file: str, working_dir: str, services: YMap, name: str) -> YMap:
        start = (file, name)
        if start in self.done:
            return self.done[start]
        # Walk the chain of bases first (iteratively), then merge back from the root base.
        chain: list[tuple[str, str, YMap, str]] = []
        on_chain: set[tuple[str, str]] = set()
        current = (file, working_dir, services, name)
        base: YMap | None = None
        while True:
            cur_file, cur_dir, cur_services, cur_name = current
            key = (cur_file, cur_name)
            if key in self.done:
                base = self.done[key]
                break
            if key in on_chain:
                start_index = next(i for i, link in enumerate(chain) if (link[0], link[3]) == key)
                names = " -> ".join(f"`{link[3]}`" for link in chain[start_index:]) + f" -> `{cur_name}`"
                last = chain[-1]
                extends = last[2].get(last[3]).get("extends")
                self.builder.problem("CL008", f"`extends` cycle: {names}; Compose refuses to load the deployment",
                                     extends.span, "remove one of the `extends:` that close the cycle")
                base = None
                break
            on_chain.add(key)
            chain.append(current)
            target = self._target(cur_file, cur_dir, cur_services, cur_name)
            if not target:  # no extends (None) or an unresolved one (False): the chain ends here
                base = None
                break
            next_file, next_dir, next_services, ref, _ = target
            current = (next_file, next_dir, next_services, ref)
        # chain[-1] is the last service reached; merge every link over its base, innermost first.
        chains = self.builder.result.extends_chains
        inherited: tuple[Span, ...] = chains.get(key, ()) if base is not None else ()
        if base is not None:
            inherited = (self._key_span(key),) + inherited
        for cur_file, cur_dir, cur_services, cur_name in reversed(chain):
            node = cur_services.get(cur_name)
            own = YMap({k: e for k, e in node.entries.items() if k != "extends"}, node.span, node.tag)
            merged = own if base is None else merge_mappings(base, own, ("services", "*"))
            self.done.setdefault((cur_file, cur_name), merged)
            if base is not None:
                chains.setdefault((cur_file, cur_name), inherited)
            inherited = (cur_services.key_span(cur_name),) + inherited
            base = merged
        return self.done[start]

    def _key_span(self, key: tuple[str, str]) -> Span:
        file, name = key
        root = self.builder.source.interpolated(file, self.environment)
        services = root.get("services") if isinstance(root, YMap) else None
        span = services.key_span(name) if isinstance(services, YMap) else None
        return span if span is not None else Span(file, Position(1, 1))
