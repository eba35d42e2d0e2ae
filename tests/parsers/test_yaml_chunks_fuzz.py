"""Parsing by blocks (yaml_chunks.reparse) against the whole parse: what differential fuzzing found."""

from __future__ import annotations

import pytest
from test_yaml_chunks import same

from composelint.parsers.yaml_chunks import load, reparse
from composelint.parsers.yaml_loader import YamlLimits, load_yaml

# ------------------------------------------------------------ what the fuzzing found, each alone

def _as_whole(kept, edited: str) -> None:
    """``reparse`` declines, or gives what the whole parse gives."""
    result = reparse(kept, edited, "c.yaml", YamlLimits())
    if result is not None:
        same(result[0], load_yaml(edited, "c.yaml"))


@pytest.mark.parametrize("marker", ["...", "... # end", "---", "--- # next"])
def test_a_document_marker_in_a_block_is_parsed_whole(marker):
    # Found by the fuzzing: `...` at the end of a block ends the block's document alone, and nothing
    # follows in it; in the whole text the services after it start a second document.
    text = "services:\n  one:\n    image: a\n    # note\n  two:\n    image: b\n"
    _, kept = load(text, "c.yaml", YamlLimits())
    edited = text.replace("    # note", marker)
    whole = load_yaml(edited, "c.yaml")
    assert whole.more_roots or whole.problems
    _as_whole(kept, edited)


@pytest.mark.parametrize("after", ["x: 1\n", "  two:\n    image: b\n"])
def test_the_first_service_moved_down_starts_the_services_mapping_there(after):
    # Found by the fuzzing: a comment swapped with the first service's key line moves the start of
    # the `services` mapping (its first key) a line down.
    text = "services:\n  one:\n  # note\n" + after
    _, kept = load(text, "c.yaml", YamlLimits())
    edited = "services:\n  # note\n  one:\n" + after
    result = reparse(kept, edited, "c.yaml", YamlLimits())
    assert result is not None
    same(result[0], load_yaml(edited, "c.yaml"))


@pytest.mark.parametrize("before, merge", [("", "!t <<: []"), ("", "  !t <<: {}"), ("x: &m <<\n", "*m : []"),
                                           ("x: &m <<\n", "  *m : []")])
def test_a_merge_key_after_the_services_is_parsed_whole(before, merge):
    # Found by the fuzzing: a merge key that merges nothing (no entry shows it), written after the
    # last service, still ends the mapping that holds it; a tag or an alias hides the `<<`.
    text = f"{before}services:\n  one:\n    image: a\n  two:\n    image: b\n{merge}\n"
    document, kept = load(text, "c.yaml", YamlLimits())
    assert not document.problems
    for edited in (text.replace("image: a", "image: q"), text.replace("image: b", "image: q")):
        _as_whole(kept, edited)
