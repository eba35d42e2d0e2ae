"""Loading one deployment's compose files into one merged model.

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
from typing import Iterable, Mapping, Protocol

from composelint.assembly.merge import merge_files_roots, merge_mappings
from composelint.diagnostics import Position, Span
from composelint.model import ParseProblem
from composelint.records import record
from composelint.relpaths import dirname, resolve_relative
from composelint.yamltree import YEntry, YMap, YNode, YScalar, YSeq, plain, scalar_text


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
    values_key: tuple = ()  # identifies the values alone: what interpolating with them yields

    @classmethod
    def of(cls, values: Mapping[str, str], known: bool = True, examples: tuple[str, ...] = (),
           automation: str | None = None) -> "Environment":
        frozen = dict(values)
        values_key = tuple(sorted(frozen.items()))
        return cls(MappingProxyType(frozen), _key(values_key, known, examples, automation), known, examples,
                   automation, values_key)

    def key_without_automation(self) -> tuple:
        """``key`` as if no automation ran the deployment."""
        return _key(self.values_key, self.known, self.examples, None)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def _key(values_key: tuple, known: bool, examples: tuple[str, ...], automation: str | None) -> tuple:
    if not known or examples or automation:
        return (("~known", known, examples, automation),) + values_key
    return values_key


@record
class LoadedModel:
    root: YMap | None
    base_dirs: dict[str, str] = field(default_factory=dict)  # file -> directory its relative paths resolve against
    included: list[str] = field(default_factory=list)  # files pulled in through include: / extends.file, in order
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from file, to file, "include"|"extends")
    problems: list[ParseProblem] = field(default_factory=list)
    # (file, service) -> key spans of the definitions it inherits through extends, nearest first
    extends_chains: dict[tuple[str, str], tuple[Span, ...]] = field(default_factory=dict)
    # (service, base directory) -> (its merged node, the Service built from it): deployment_models.deployment_of
    services: dict = field(default_factory=dict)


def _scalar_items(node: YNode | None) -> list[YNode]:
    """One path written as a scalar, or several as a sequence (``include`` ``path``, ``env_file``)."""
    return [node] if isinstance(node, YScalar) else list(node.items) if isinstance(node, YSeq) else []


MAX_INCLUDE_DEPTH = 64
_UNRESOLVED_HELP = "fix the path so that it names a file inside the repository, or remove the reference"


class ModelBuilder:
    """Loads the files of one deployment as compose-go does (see the module docstring)."""

    def __init__(self, source: Source, first_layers: dict | None = None):
        """``first_layers``: id of a file's loaded layer -> (it, it alone as a model), shared by the builders
        of one build (a fragment is linted over the deployment that runs its directory's files: both
        start from the same first layer)."""
        self.source = source
        self.result = LoadedModel(None)
        self._include_memo: dict[tuple, YMap | None] = {}
        self._reported: set[tuple] = set()
        self._first_layers = first_layers if first_layers is not None else {}

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
                model = merge_files_roots(model, layer) if model is not None else self._first_layer(layer)
        return model

    def _first_layer(self, layer: YMap) -> YMap:
        """``merge_files_roots(None, layer)``, a function of the layer alone, once per build."""
        entry = self._first_layers.get(id(layer))
        if entry is None or entry[0] is not layer:  # the entry holds its layer: no other object takes the id
            entry = self._first_layers[id(layer)] = (layer, merge_files_roots(None, layer))
        return entry[1]

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
