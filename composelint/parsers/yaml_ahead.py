"""Parse YAML files in a second process while this one builds the model of those before.

Turning a compose file into positioned nodes costs about as much in libyaml's parse (and
ruamel.yaml's event objects) as in building the nodes from the events; on a large repository
the model build is serial (the forked rules start only after it), so the second core is idle
then. A forked child (composelint/forked.py) reads and parses the files, in the order the build
asks for them, and sends each one's events as plain tuples (yaml_loader.compact_events); the
build turns them into nodes exactly as it turns the events of its own parse, limits included.

The child sends the text it parsed with the events, and events are used only for the very text
the build read (a file changed in between is parsed here again). A file the child could not
parse (a syntax error: its problems are worded from the parser's exception) or did not parse (a
large one: its events would fill the child's memory) is parsed here, as is every file once the
child has failed.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

# Larger texts are parsed where they are built: a hostile file near the size limit would make
# millions of events in the child's memory.
MAX_TEXT = 1 << 20


class YamlAhead:
    """Events of ``paths`` parsed by a child process (``fetch``: a path's text, or None), in that order."""

    def __init__(self, fetch: Callable[[str], str | None], paths: Sequence[str]):
        from composelint.forked import ForkedStream

        def produce() -> Iterator[tuple]:
            from composelint.parsers.yaml_loader import compact_events, parser_events

            for path in paths:
                text = fetch(path)
                events = None
                if text is not None and len(text) <= MAX_TEXT:
                    try:
                        events = list(compact_events(parser_events(text)))
                    except Exception:  # noqa: BLE001 - a syntax error: parsed again where it is worded
                        events = None
                yield path, text, events

        self._stream = ForkedStream(produce)
        self._received: dict[str, tuple] = {}
        self._pending = set(paths)

    def events(self, path: str, text: str) -> list | None:
        """The events of ``text`` as the child parsed them, or None: parse it here."""
        if path not in self._pending:
            return None
        self._pending.discard(path)
        while path not in self._received:
            item = self._stream.next()
            if item is None:
                return None
            self._received[item[0]] = item[1:]
        sent_text, events = self._received.pop(path)
        return events if sent_text == text else None

    def close(self) -> None:
        self._stream.close()
