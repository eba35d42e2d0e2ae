"""Parsed files kept between builds of one project, for a process that lints it again and again
(the language server): a compose file or Dockerfile whose text did not change is not parsed again.

Kept: what is a function of a file's text alone, the positioned YAML document of a compose file
(``load_yaml``; an edit inside some services parses those alone: parsers/yaml_chunks.py), the Dockerfile
model (``parse_dockerfile``) and the parsed ``.dockerignore``, all frozen; what is a function
of that document and an environment, its interpolation and the schema check of the interpolated
tree (with their problems) and the file's services, keyed by the environment's values
(``Environment.key``) and the text of the automation that may export variables; and each merged
deployment model with the services built from it, kept while every question its loading asked
(which interpolated tree, does a file exist, an include's variables) has the same answer
(deployment_models._DeploymentSource.load); for a document parsed by blocks, each service's
interpolation, its Service, and the schema's verdict on the rest of the file, while the service's node
is the same object (compose_files._interpolated_by_service, _services_by_node, _valid_by_services);
and each service linked to its Dockerfile while both are
the same objects (``linked``); and the files a build read, while each has the stamp it had when
read (``read``: one ``lstat`` instead of a read, as the result cache checks files; a file changed
under two seconds before its read has no stamp and is read again; and not even the ``lstat`` while a
``journal``, the server's watch of the disk, would have reported a change: composelint/server/watch.py). The Deployment records and
everything after them are computed again in every build. One entry per path, per environment used, per model loaded and per service linked by
the last build: memory stays that of one model.
"""

from __future__ import annotations


class ParseCache:
    def __init__(self) -> None:
        self._yaml: dict[str, tuple] = {}
        self._dockerfiles: dict[str, tuple] = {}
        self._dockerignores: dict[str, tuple] = {}
        # id(root of a kept document) -> (that root, {key: result}); a document parsed again drops
        # the results of the one it replaces, so memory stays that of one model.
        self._derived: dict[int, tuple] = {}
        self._models: dict[tuple, tuple] = {}  # deployment_models._DeploymentSource.load
        # Kept for this build and the last one (_TwoBuilds):
        # assembly.linking.link_service: id(service) -> (service, Dockerfile, linked service)
        self._linked = _TwoBuilds()
        # (relpath, size limit) -> (stamp, ReadResult): the reads
        self._reads = _TwoBuilds()
        self._stamp_check: tuple | None = None  # (realpaths, root, reading.StampCheck) of the reads under way
        # What tells which files changed on disk without looking (the server's server/watch.Journal), and the
        # reads whose file it would report (keys of _reads): those are not stamped again until it does.
        self.journal = None
        self._trusted: set[tuple] = set()
        # (relpath, the variables' values) -> {id(raw service): (raw service, interpolated, issues)}
        # (``interpolated_services``)
        self._services = _TwoBuilds()
        # relpath -> {id(interpolated service node): (node, name span, Service, problems)}
        # (compose_files._services_by_node)
        self._built = _TwoBuilds()
        # relpath -> the interpolated trees of it the schema found valid
        self._valid = _TwoBuilds()
        self.hits = self.misses = 0  # for tests and benchmarks

    def yaml(self, text: str, relpath: str, limits):
        """``load_yaml(text, relpath, limits)``, reused while the text and limits are the same."""
        entry = self._yaml.get(relpath)
        if entry is not None and entry[0] == text and entry[1] == limits:
            self.hits += 1
            return entry[2]
        from composelint.parsers import yaml_chunks

        self.misses += 1
        # An edit inside some services' lines parses those alone (yaml_chunks; anything unsure: all of it).
        reparsed = yaml_chunks.reparse(entry[3], text, relpath, limits) if entry is not None else None
        document, kept = reparsed or yaml_chunks.load(text, relpath, limits)
        if entry is not None:
            self._derived.pop(id(entry[2].root), None)
        self._yaml[relpath] = (text, limits, document, kept)
        if document.root is not None:
            self._derived[id(document.root)] = (document.root, {})
        return document

    def memo(self, raw, key, compute):
        """``compute()``, a function of ``raw`` (the root of a kept document) and of what ``key`` names
        (see compose_files._environment_key), reused while both are the same. Another tree is not kept."""
        entry = self._derived.get(id(raw))
        if entry is None or entry[0] is not raw:
            return compute()
        results = entry[1]
        if key in results:
            return results[key]
        result = results[key] = compute()
        return result

    def kept_models(self) -> tuple[dict, dict]:
        """(the merged models the previous build loaded, those this build loads): a model the build does
        not load again is dropped."""
        previous, self._models = self._models, {}
        return previous, self._models

    def next_build(self) -> None:
        for kept in (self._linked, self._reads, self._services, self._built, self._valid):
            kept.next_build()
        self._stamp_check = None
        if self.journal is not None:
            changed = self.journal.drain()
            if changed is None:
                self._trusted.clear()
            elif changed:
                self._trusted = {key for key in self._trusted if key[0] not in changed}

    def read(self, root, relpath: str, max_bytes: int, realpaths: dict | None = None):
        """``reading.read_text(root, relpath, max_bytes, realpaths)``, not read again while the file
        keeps the stamp it had when read (``reading.still_as_read``)."""
        from composelint.assembly.reading import is_observing, read_stamped

        key = (relpath, max_bytes)
        entry = self._reads.take(key)
        trusted = self._trusted
        if entry is not None and key in trusted and not is_observing():
            self._reads.now[key] = entry  # unchanged: the journal would have said otherwise
            return entry[1]
        if entry is None or is_observing() or not self._still_as_read(root, realpaths)(relpath, entry[0]):
            trusted.discard(key)
            result, stamp = read_stamped(root, relpath, max_bytes, realpaths)
            if stamp is None:
                self._reads.now.pop(key, None)
                return result
            entry = (stamp, result)
        self._reads.now[key] = entry
        journal = self.journal
        if journal is not None and journal.covers(relpath, entry[0]):
            trusted.add(key)
        return entry[1]

    def _still_as_read(self, root, realpaths: dict | None):
        """``reading.still_as_read`` for the reads that share ``realpaths`` (a build's, or the carry's): a
        reading.StampCheck, which joins and resolves each directory once."""
        from composelint.assembly.reading import StampCheck, still_as_read

        if realpaths is None:
            return lambda relpath, stamp: still_as_read(root, relpath, stamp)
        kept = self._stamp_check
        if kept is None or kept[0] is not realpaths or kept[1] is not root:
            kept = self._stamp_check = (realpaths, root, StampCheck(root, realpaths))
        return kept[2]

    def interpolated_services(self, root, values_key) -> tuple[dict, dict] | None:
        """(the services of the last interpolation of ``root``'s file with these values, the dict this
        one fills: id(raw service) -> (raw service, interpolated, issues)), when ``root`` is the kept
        document of its file and each of its services interpolates alone (yaml_chunks.Kept.shares_no_variable);
        None otherwise. A service whose node the document kept (an edit parsed by blocks) is not
        interpolated again."""
        path = root.span.path
        entry = self._yaml.get(path)
        if entry is None or entry[2].root is not root or not entry[3].shares_no_variable():
            return None
        key = (path, values_key)
        previous = self._services.now.get(key) or self._services.before.get(key) or {}
        current = self._services.now[key] = {}
        return previous, current

    def built_services(self, relpath: str) -> tuple[dict, dict]:
        """(the services the last build made of ``relpath``'s nodes, the dict this one fills), by node."""
        return self._built.before.get(relpath, {}), self._built.now.setdefault(relpath, {})

    def valid_roots(self, relpath: str) -> list:
        """The interpolated trees of ``relpath`` that this build and the last one found valid (compose_files)."""
        return self._valid.now.get(relpath, []) + self._valid.before.get(relpath, [])

    def found_valid(self, root) -> None:
        self._valid.now.setdefault(root.span.path, []).append(root)

    def linked(self, service, dockerfile, compute):
        """``compute()``, ``service`` linked to ``dockerfile`` (a function of those two objects alone),
        reused while both are the same objects: a service of a kept model or compose file, whose
        Dockerfile was not parsed again."""
        key = id(service)
        entry = self._linked.take(key)
        if entry is None or entry[0] is not service or entry[1] is not dockerfile:
            entry = (service, dockerfile, compute())
        self._linked.now[key] = entry
        return entry[2]

    def dockerfile(self, text: str, relpath: str):
        """``parse_dockerfile(text, relpath)``, reused while the text is the same."""
        from composelint.parsers.dockerfile import parse_dockerfile

        return self._by_text(self._dockerfiles, text, relpath, parse_dockerfile)

    def dockerignore(self, text: str, relpath: str):
        """``parse_dockerignore(text, relpath)``, reused while the text is the same."""
        from composelint.parsers.dockerignore import parse_dockerignore

        return self._by_text(self._dockerignores, text, relpath, parse_dockerignore)

    def _by_text(self, table: dict, text: str, relpath: str, parse):
        entry = table.get(relpath)
        if entry is not None and entry[0] == text:
            self.hits += 1
            return entry[1]
        self.misses += 1
        result = parse(text, relpath)
        table[relpath] = (text, result)
        return result


class _TwoBuilds:
    """A map for the build under way (``now``) and the last one (``before``): a build keeps only the
    entries it used, so memory stays that of one model."""

    __slots__ = ("now", "before")

    def __init__(self) -> None:
        self.now: dict = {}
        self.before: dict = {}

    def next_build(self) -> None:
        self.before, self.now = self.now, {}

    def take(self, key):
        """This build's entry for ``key``, else the last build's, no longer kept there (the caller keeps it
        in ``now`` if it still holds)."""
        return self.now.get(key) or self.before.pop(key, None)
