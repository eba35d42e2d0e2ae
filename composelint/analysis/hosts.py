"""Where a service addresses another host by name.

Three forms are recognised, in environment values, compose ``command``/``entrypoint``
arguments and ``healthcheck.test``:

* URLs: ``http://consul:8500``, ``amqp://u:p@rabbitmq:5672/vhost``, ``redis://redis:6379/0``,
  ``postgres://u@db/app``, several hosts (``mongodb://a:27017,b:27017``), a URL inside a
  longer value (``--broker=amqp://rabbitmq``, ``jdbc:postgresql://db:5432/x``);
* ``host:port``: a whole value, list item or shell word (``db:5432``, ``wait-for-it db:5432``);
  ``--host db`` / ``--host=db`` options, and ``-h db`` for database clients;
* the value of a key that holds an address: ``*_HOST``, ``*_HOSTNAME``, ``*_ADDR``, ``*_ADDRESS``,
  ``*_URL``, ``*_URI``, ``*_DSN``, ``*_ENDPOINT`` (``DB_HOST=db``, ``KAFKA_ADDR=kafka:9092,k2:9092``),
  and the ``host=``/``server=`` fields of connection strings.

External hosts (IP addresses, ``localhost``, names with a dot, ``host.docker.internal``) are
returned too, marked ``external``; a caller resolves the rest against a deployment. Pure
functions of the model: no file is read.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterator, Mapping

from composelint.diagnostics import Position, Span
from composelint.model import CommandPart, Service
from composelint.records import record
from composelint.sourcetext import source_text
from composelint.textnumbers import decimal_value
from composelint.yamltree import YMap, YScalar, YSeq, scalar_text


@record(frozen=True, slots=True)
class HostRef:
    host: str  # as written
    span: Span  # the host name when it can be narrowed, else the whole value
    text: str  # the address it came from, credentials removed: "http://consul:8500", "db:5432", "db"
    where: str  # "environment" | "command" | "entrypoint" | "healthcheck"
    key: str | None  # the environment key, for "environment"
    form: str  # "url" | "host-port" | "option" | "key"
    external: bool  # an IP, localhost, a dotted name: never resolved against services

    def describe(self) -> str:
        """Where the reference is, for messages: "`KONG_ADMIN_URL`", "its command"."""
        if self.where == "environment" and self.key:
            return f"`{self.key}`"
        return {"command": "its command", "entrypoint": "its entrypoint",
                "healthcheck": "its healthcheck"}.get(self.where, self.where)


# A host label as Compose services, aliases and containers are named; underscores included.
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# Schemes may hold `_` here: Kafka listener names (`PLAINTEXT_HOST://`) are written like schemes.
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+._-]*)://(?P<authority>(?:\[[0-9A-Fa-f:.%]*\]|[^\s/?#\"'<>()\[\]{},]"
                  r"|,(?![A-Za-z][A-Za-z0-9+._-]*://))*)")
_HOST_PORT = re.compile(r"(?<![\w.@/:$%{-])(?P<host>[A-Za-z][A-Za-z0-9_-]*):(?P<port>\d{1,5})(?![\w.:/@-])")
_OPTION = re.compile(r"(?:^|\s)--(?:host|hostname|server)(?:=|\s+)(?P<host>[^\s\"';|&]+)")
_SHORT_H = re.compile(r"(?:^|\s)-h(?:\s+|(?=[A-Za-z]))(?P<host>[^\s\"';|&-][^\s\"';|&]*)")
_MYSQL_TCP = r"@tcp\((?P<addr>[^)\s]+)\)"
_CONN_FIELD = (r"(?i)(?:^|[;\s])(?:host|hostaddr|server|data source|address|addr)\s*=\s*(?:tcp:)?"
               r"(?P<value>[^;\s]+)")
_DB_CLIENTS = frozenset(("psql", "pg_isready", "pg_dump", "pg_dumpall", "pg_restore", "mysql", "mysqladmin",
                         "mysqldump", "mariadb", "mariadb-admin", "redis-cli", "valkey-cli", "clickhouse-client",
                         "mongo", "cqlsh"))
_DB_CLIENT_IN_SCRIPT = re.compile(r"(?:^|[\s;&|('\"])(?:%s)\s" % "|".join(map(re.escape, sorted(_DB_CLIENTS))))
# Authorities that name something other than a host.
_NOT_HOST_SCHEMES = frozenset(("file", "unix", "npipe", "s3", "s3a", "s3n", "gs", "gcs", "az", "azure", "abfs",
                               "abfss", "wasb", "wasbs", "data", "about", "chrome", "urn", "sqlite", "sqlite3",
                               "docker-image", "oci", "git+file", "vault", "op", "secret", "env", "ipfs"))
_HOST_KEY = re.compile(r"_(?:HOST|HOSTNAME|ADDR|ADDRESS|ENDPOINT)$", re.IGNORECASE)  # `HOST` alone binds
_URL_KEY = re.compile(r"_(?:URL|URI|DSN)$", re.IGNORECASE)
_CONN_KEY = re.compile(r"(?:_DSN$|CONNECTION|CONN_?STR|^ConnectionStrings__)", re.IGNORECASE)
# Keys whose value is a name this container serves or binds, not an address it dials.
_SERVED_TOKENS = frozenset(("BIND", "LISTEN", "LISTENER", "LISTENERS", "ALLOWED", "VIRTUAL", "LETSENCRYPT",
                            "PUBLIC", "EXTERNAL", "ADVERTISE", "ADVERTISED", "TRUSTED", "CORS", "ORIGIN", "ORIGINS",
                            "CALLBACK", "REDIRECT", "WEBHOOK", "SITE", "DOMAIN"))
_SERVED_KEY = re.compile(r"(?:^|_)(?:BASE_URL|ROOT_URL|SERVER_NAME)$", re.IGNORECASE)
_VERSION_TOKENS = frozenset(("IMAGE", "VERSION", "TAG", "TIMEZONE", "TZ"))  # `node:18` there is no address
_NOT_A_HOST = frozenset(("true", "false", "yes", "no", "on", "off", "none", "null", "nil", "auto", "any", "all",
                         "default", "disabled", "enabled", "required", "optional", "local", "internal", "unix",
                         "tcp", "udp", "http", "https", "self"))
_LOCAL = frozenset(("localhost", "ip6-localhost", "ip6-loopback", "host-gateway", "0", "*"))


def is_external(host: str) -> bool:
    """Never resolved against services: IPs, localhost, FQDNs (any dot), IPv6."""
    lowered = host.lower().rstrip(".")
    return ("." in lowered or ":" in lowered or lowered in _LOCAL or _IPV4.match(lowered) is not None
            or lowered.startswith("["))


def _hostname(text: str) -> bool:
    return bool(_NAME.match(text)) and any(c.isalpha() for c in text) and text.lower() not in _NOT_A_HOST


# --------------------------------------------------------------------------- scanning one text


@record(frozen=True, slots=True)
class _Found:
    host: str
    start: int  # offset of the host in the scanned text
    text: str
    form: str


def _split_authority(authority: str) -> Iterator[tuple[str, int]]:
    """Hosts of ``user:pass@h1:1,h2:2`` with their offsets in the authority."""
    at = authority.rfind("@")
    base = at + 1
    rest = authority[base:]
    offset = 0
    for part in rest.split(","):
        host = part
        if host.startswith("["):
            close = host.find("]")
            host = host[:close + 1] if close > 0 else host
        else:
            host = host.split(":", 1)[0]
        if host:
            yield host, base + offset
        offset += len(part) + 1


def scan_text(text: str, *, bare: bool = True) -> list[_Found]:
    """URLs and ``host:port`` tokens anywhere in ``text`` (an env value, a word, a shell script)."""
    found: list[_Found] = []
    covered: list[tuple[int, int]] = []
    if ":" not in text:
        return found
    for match in (_URL.finditer(text) if "://" in text else ()):
        covered.append((match.start(), match.end()))
        if match.group("scheme").lower() in _NOT_HOST_SCHEMES:
            continue
        authority = match.group("authority")
        start = match.start("authority")
        shown = f"{match.group('scheme')}://{authority[authority.rfind('@') + 1:]}"  # never the credentials
        for host, offset in _split_authority(authority):
            if is_external(host) or _hostname(host):
                found.append(_Found(host, start + offset, shown, "url"))
    for match in (re.finditer(_MYSQL_TCP, text) if "@tcp(" in text else ()):
        covered.append((match.start(), match.end()))
        host = match.group("addr").split(":", 1)[0]
        if is_external(host) or _hostname(host):
            found.append(_Found(host, match.start("addr"), match.group(0)[1:], "url"))
    if bare:
        for match in _HOST_PORT.finditer(text):
            if any(a <= match.start() < b for a, b in covered):
                continue
            port = int(match.group("port"))
            if not 80 <= port <= 65535:  # `node:18`, `redis:7`: image tags, not ports
                continue
            host = match.group("host")
            if _hostname(host):
                found.append(_Found(host, match.start("host"), match.group(0), "host-port"))
    found.sort(key=lambda item: item.start)
    return found


def _scan_command(text: str, program: str | None) -> list[_Found]:
    found = scan_text(text)
    seen = {item.start for item in found}
    patterns = [_OPTION] if "--" in text else []
    if "-h" not in text:
        pass
    elif program is not None and program.rsplit("/", 1)[-1] in _DB_CLIENTS:
        patterns.append(_SHORT_H)
    elif "-h" in text and _DB_CLIENT_IN_SCRIPT.search(text):
        patterns.append(_SHORT_H)  # `sh -c "pg_isready -h db"`
    for pattern in patterns:
        for match in pattern.finditer(text):
            host = match.group("host")
            host = host.split(":", 1)[0] if not host.startswith("[") else host
            if match.start("host") in seen or "://" in match.group("host"):
                continue
            if is_external(host) or _hostname(host):
                found.append(_Found(host, match.start("host"), match.group(0).strip(), "option"))
    found.sort(key=lambda item: item.start)
    return found


def _scan_key_value(key: str, value: str) -> list[_Found]:
    """An environment value, read according to what its key says it holds."""
    tokens = key.upper().split("_")
    if _SERVED_KEY.search(key) or not _SERVED_TOKENS.isdisjoint(tokens):
        return []
    found = scan_text(value, bare=_VERSION_TOKENS.isdisjoint(tokens))
    if _CONN_KEY.search(key):
        found.extend(_connection_fields(value, {item.start for item in found}))
        found.sort(key=lambda item: item.start)
    if found or not value.strip() or any(c.isspace() for c in value.strip()):
        return found
    host_key = _HOST_KEY.search(key) is not None
    if not host_key and not _URL_KEY.search(key):
        return found
    # `db`, `db:5432`, `kafka-1:9092,kafka-2:9092`; a URL key needs the port to be read as an address
    offset = 0
    for part in value.split(","):
        stripped = part.strip()
        lead = len(part) - len(part.lstrip())
        host, colon, port = stripped.partition(":")
        if colon and not 0 < (decimal_value(port) or 0) <= 65535:
            host = ""
        if host and (colon or host_key) and (is_external(host) or _hostname(host)):
            found.append(_Found(host, offset + lead, stripped, "key"))
        offset += len(part) + 1
    return found


def _connection_fields(value: str, seen: set[int]) -> list[_Found]:
    found = []
    for match in re.finditer(_CONN_FIELD, value):
        raw = match.group("value")
        host = raw.split(",", 1)[0].split(":", 1)[0] if not raw.startswith("[") else raw
        if match.start("value") in seen:
            continue
        if is_external(host) or _hostname(host):
            found.append(_Found(host, match.start("value"), match.group(0).strip(" ;"), "key"))
    return found


# --------------------------------------------------------------------------- spans


def narrow_in_value(span: Span, value: str, start: int, length: int, sources: Mapping[str, str]) -> Span:
    """The span of ``value[start:start+length]`` when ``value`` ends the text written at ``span``."""
    if span.end is None or span.end.line != span.start.line:
        return span
    text = sources.get(span.path)
    line = source_text(text).line(span.start.line) if text is not None else None
    if line is None:
        return span
    written = line[span.start.column - 1:span.end.column - 1]
    column = span.start.column
    if len(written) >= 2 and written[0] in "'\"" and written[-1] == written[0]:
        written, column = written[1:-1], column + 1
    if not written.endswith(value):
        return span
    column += len(written) - len(value) + start
    return Span(span.path, Position(span.start.line, column), Position(span.start.line, column + length))


# --------------------------------------------------------------------------- per service


def host_references(service: Service, sources: Mapping[str, str]) -> tuple[HostRef, ...]:
    """Every host a service addresses in its environment, command, entrypoint and healthcheck."""
    refs: list[HostRef] = []
    for key, env in service.environment.items():
        value = env.value
        if not value or len(value) > 65536:
            continue
        for item in _scan_key_value(key, value):
            span = narrow_in_value(env.span, value, item.start, len(item.host), sources)
            refs.append(HostRef(item.host, span, item.text, "environment", key, item.form, is_external(item.host)))
    for part, where in ((service.entrypoint, "entrypoint"), (service.command, "command")):
        if part is not None:
            refs.extend(_command_refs(part, where, sources,
                                      program=_program(service, part)))
    refs.extend(_healthcheck_refs(service, sources))
    return tuple(refs)


def _program(service: Service, part: CommandPart) -> str | None:
    words = service.entrypoint.words if service.entrypoint is not None and service.entrypoint.words else part.words
    return words[0].text if words else None


def _joined(texts: list[str]) -> tuple[str, list[int]]:
    """Words joined by spaces, and where each starts: `--host` then sees its value in the next word."""
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 1
    return " ".join(texts), starts


def _command_refs(part: CommandPart, where: str, sources, program: str | None) -> list[HostRef]:
    refs = []
    if part.form == "exec":
        joined, starts = _joined([word.text for word in part.words])
        for item in _scan_command(joined, program):
            index = bisect.bisect_right(starts, item.start) - 1
            word = part.words[index]
            span = narrow_in_value(word.span, word.text, item.start - starts[index], len(item.host), sources)
            refs.append(HostRef(item.host, span, item.text, where, None, item.form, is_external(item.host)))
        return refs
    for word in part.words:
        for item in _scan_command(word.text, program):
            span = narrow_in_value(word.span, word.text, item.start, len(item.host), sources)
            refs.append(HostRef(item.host, span, item.text, where, None, item.form, is_external(item.host)))
    # `--host db` split over two words of a string command
    client = program is not None and program.rsplit("/", 1)[-1] in _DB_CLIENTS
    for first, second in zip(part.words, part.words[1:]):
        if first.text in ("--host", "--hostname", "--server") or (first.text == "-h" and client):
            host = second.text.split(":", 1)[0]
            if is_external(host) or _hostname(host):
                span = narrow_in_value(second.span, second.text, 0, len(host), sources)
                refs.append(HostRef(host, span, f"{first.text} {second.text}", where, None, "option",
                                    is_external(host)))
    return refs


def _healthcheck_refs(service: Service, sources) -> list[HostRef]:
    node = service.get("healthcheck")
    test = node.get("test") if isinstance(node, YMap) else None
    refs = []
    items: list[YScalar] = []
    if isinstance(test, YSeq):
        items = [item for item in test.items[1:] if isinstance(item, YScalar)]
    elif isinstance(test, YScalar):
        items = [test]
    program = None
    if items:
        first = scalar_text(items[0]) or ""
        program = first.split()[0] if first.split() else None
    texts = [scalar_text(item) or "" for item in items]
    joined, starts = _joined(texts)
    for found in _scan_command(joined, program):
        index = bisect.bisect_right(starts, found.start) - 1
        item = items[index]
        span = narrow_in_value(item.span, texts[index], found.start - starts[index], len(found.host), sources)
        refs.append(HostRef(found.host, span, found.text, "healthcheck", None, found.form, is_external(found.host)))
    return refs
