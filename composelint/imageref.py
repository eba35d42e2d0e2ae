"""``ImageRef``: the one reading of an image reference (``FROM`` text, compose ``image:``, ``docker build -t``).

Docker's grammar (github.com/distribution/reference, ``ParseNormalizedNamed``) decides what a reference
names: the first path component is a registry only when it holds a ``.`` or ``:``, is ``localhost`` or is
not lowercase; ``index.docker.io`` is the legacy spelling of ``docker.io``; a one-component Docker Hub
path is an official image under ``library/``. So ``python``, ``library/python``, ``docker.io/python`` and
``index.docker.io/python`` are the same image (``docker.io/library/python``), and ``bitnami/redis`` is
``docker.io/bitnami/redis``. tests/test_imageref.py checks this reading against ``docker-image-py``,
a port of that grammar.

Unlike Docker, ``parse`` never refuses: it reads what it can of ``${REGISTRY}/app:${TAG}``, upper-case
names and other references Docker would reject, because a linter must still say something about them.
"""

from __future__ import annotations

from functools import lru_cache

from composelint.records import record

_HUB = "docker.io"
_LEGACY_HUB = "index.docker.io"
# Registries that serve Docker Hub's repositories under the same paths: the image is the Hub's.
_HUB_MIRRORS = ("registry-1.docker.io", "mirror.gcr.io")
# ECR Public's copy of the Docker official images: public.ecr.aws/docker/library/python is python.
_LIBRARY_MIRRORS = ("public.ecr.aws/docker/library/",)


@record(frozen=True, slots=True)
class ImageRef:
    text: str  # as written, stripped
    registry: str  # as written: "ghcr.io", "localhost:5000", "" when the reference names none (Docker Hub)
    path: str  # as written, without registry, tag and digest: "org/app", "python", "library/python"
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        """The reference as written without tag and digest: ``ghcr.io/org/app``, ``postgres``."""
        return f"{self.registry}/{self.path}" if self.registry else self.path

    @property
    def name(self) -> str:
        """Docker's normalised repository name: ``docker.io/library/python``, ``ghcr.io/org/app`` (the path
        lower-cased: Docker refuses an upper-case one, and names the same image with the lower-case one)."""
        registry = self.registry
        if not registry or registry == _LEGACY_HUB:
            registry = _HUB
        path = self.path.lower()
        if registry == _HUB and "/" not in path:
            path = f"library/{path}"
        return f"{registry}/{path}"

    @property
    def familiar(self) -> str:
        """Docker's short spelling of the repository: ``python``, ``bitnami/redis``, ``ghcr.io/org/app``."""
        return _familiar(self.name)

    @property
    def short(self) -> str:
        """The familiar name of the image this reference pulls, mirrors of Docker Hub resolved to the Hub's
        name (``mirror.gcr.io/library/python`` and ``public.ecr.aws/docker/library/python`` are ``python``):
        the name the image tables and allow-lists use."""
        name = self.name.lower()
        for prefix in _LIBRARY_MIRRORS:
            rest = name[len(prefix):]
            if name.startswith(prefix) and rest and "/" not in rest:
                return rest
        registry, _, path = name.partition("/")
        if registry in _HUB_MIRRORS and path:
            return _familiar(f"{_HUB}/{path}")
        return _familiar(name)


def _familiar(name: str) -> str:
    if not name.startswith(_HUB + "/"):
        return name
    path = name[len(_HUB) + 1:]
    rest = path[len("library/"):]
    return rest if path.startswith("library/") and "/" not in rest else path


@lru_cache(maxsize=4096)
def parse_image_ref(text: str) -> ImageRef:
    """``registry:5000/org/app:1.2@sha256:…`` -> ImageRef("registry:5000", "org/app", "1.2", "sha256:…")."""
    reference = text.strip()
    name, at, digest = reference.partition("@")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    registry, path = "", name
    first, slash, rest = name.partition("/")
    if slash and (any(char in first for char in ".:") or first == "localhost" or first != first.lower()):
        registry, path = first, rest
    return ImageRef(reference, registry, path, tag or None, digest or None)



_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?"
_REFERENCE_RE = None


def is_valid_reference(text: str) -> bool:
    """Whether Docker accepts ``text`` as an image reference (distribution/reference's grammar): not
    ``python:`` (empty tag), ``/app`` or ``:3.12``, as an ARG left empty makes a ``FROM`` (CL413)."""
    global _REFERENCE_RE
    if _REFERENCE_RE is None:
        import re

        _REFERENCE_RE = re.compile(
            rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
            r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?")
    return bool(text) and len(text) <= 255 + 140 and _REFERENCE_RE.fullmatch(text) is not None

# Docker Hub's official images (hub.docker.com/u/library): a one-word reference such as `composer`
# names one of these, so `COPY --from=composer …` is an image, not a misspelt stage (CL408). Deprecated
# ones stay: old Dockerfiles still pull them.
OFFICIAL_IMAGES = frozenset("""
adminer aerospike almalinux alpine alt amazoncorretto amazonlinux api-firewall arangodb archlinux backdrop bash
bonita buildpack-deps busybox caddy cassandra centos chronograf cirros clearlinux clefos clickhouse clojure
composer consul convertigo couchbase couchdb crate dart debian docker drupal eclipse-mosquitto eclipse-temurin
elasticsearch elixir emqx erlang fedora flink fluentd friendica gazebo gcc geonetwork ghost golang gradle groovy
haproxy haskell haxe hello-world hitch httpd hylang ibm-semeru-runtimes ibmjava influxdb irssi jenkins jetty
joomla jruby julia kapacitor kibana kong krakend lightstreamer liquibase logstash mageia mariadb matomo maven
mediawiki memcached mongo mongo-express monica mono mysql nats nats-streaming neo4j neurodebian nextcloud nginx
node notary nuxeo odoo open-liberty openjdk oraclelinux orientdb owncloud percona perl photon php
php-zendserver phpmyadmin plone postfixadmin postgres pypy python r-base rabbitmq rakudo-star redis redmine
registry rethinkdb rocket.chat rockylinux ros ruby rust sapmachine satosa scratch silverpeas sl solr sonarqube
spiped storm swift swipl teamspeak telegraf tomcat tomee traefik ubuntu unit varnish vault websphere-liberty
wordpress xwiki yourls znc zookeeper
""".split())
