"""Parsed files kept between builds of one project, for a process that lints it again and again
(the language server): a compose file or Dockerfile whose text did not change is not parsed again.

Only what is a function of a file's text alone is kept: the positioned YAML document of a compose
file (``load_yaml``) and the Dockerfile model (``parse_dockerfile``), both frozen. Everything that
depends on other files — interpolation with an environment, the schema check of the interpolated
tree, services, deployments, linking — is computed again in every build. One entry per path:
memory stays that of one model.
"""

from __future__ import annotations


class ParseCache:
    def __init__(self) -> None:
        self._yaml: dict[str, tuple] = {}
        self._dockerfiles: dict[str, tuple] = {}
        self.hits = self.misses = 0  # for tests and benchmarks

    def yaml(self, text: str, relpath: str, limits):
        """``load_yaml(text, relpath, limits)``, reused while the text and limits are the same."""
        entry = self._yaml.get(relpath)
        if entry is not None and entry[0] == text and entry[1] == limits:
            self.hits += 1
            return entry[2]
        from composelint.parsers.yaml_loader import load_yaml

        self.misses += 1
        document = load_yaml(text, relpath, limits)
        self._yaml[relpath] = (text, limits, document)
        return document

    def dockerfile(self, text: str, relpath: str):
        """``parse_dockerfile(text, relpath)``, reused while the text is the same."""
        entry = self._dockerfiles.get(relpath)
        if entry is not None and entry[0] == text:
            self.hits += 1
            return entry[1]
        from composelint.parsers.dockerfile import parse_dockerfile

        self.misses += 1
        dockerfile = parse_dockerfile(text, relpath)
        self._dockerfiles[relpath] = (text, dockerfile)
        return dockerfile
