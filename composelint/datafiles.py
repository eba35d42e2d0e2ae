"""The packaged data tables (``composelint/data/*.yaml``), loaded fast.

The YAML files are the source: people edit them. Parsing them with ruamel.yaml costs
more than linting a small repository (~75 ms for the three tables, plus ~20 ms to
import the parser), so each has a JSON twin, ``<name>.json``, holding the same data and
a checksum (CRC-32 and length) of the YAML text it was made from. The twin is used only when that checksum
matches the YAML as it is now; an edited table whose twin was not regenerated is parsed
from YAML, so a stale twin costs time, never correctness. Regenerate the twins with::

    python -m composelint.datafiles

(a test fails when one is stale).
"""

from __future__ import annotations

import json
import os
import sys

TABLES = ("base-images.yaml", "python-modules.yaml", "python-console-scripts.yaml")

# Beside this module, as the package ships them (importlib.resources would cost ~10 ms of imports).
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _read(name: str) -> str:
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as stream:
        return stream.read()


def text(name: str) -> str:
    """The text of ``composelint/data/<name>`` as shipped (a page template, a style sheet)."""
    return _read(name)


def load(name: str) -> object:
    """The data of ``composelint/data/<name>``, a YAML file, as plain Python values."""
    text = _read(name)
    try:
        stored = json.loads(_read(_twin_name(name)))
        if stored.get("source-crc32") == _digest(text):
            return stored["data"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    return _parse(text)


def _twin_name(name: str) -> str:
    return name.rsplit(".", 1)[0] + ".json"


def _digest(text: str) -> str:
    # A check against forgetting to regenerate, not against tampering: CRC-32 (zlib, ~0.6 ms to
    # import) serves, where hashlib would load OpenSSL (~6 ms) on every lint.
    import zlib

    return f"{zlib.crc32(text.encode('utf-8')):08x}-{len(text)}"


def _parse(text: str) -> object:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)


def twin_text(name: str) -> str:
    """What ``<name>.json`` must contain for the YAML file as it is now."""
    text = _read(name)
    data = _parse(text)
    if json.loads(json.dumps(data)) != data:
        raise ValueError(f"{name}: the data does not survive a JSON round trip")
    return json.dumps({"source": name, "source-crc32": _digest(text), "data": data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def main() -> int:
    from pathlib import Path

    data_dir = Path(DATA_DIR)
    for name in TABLES:
        target = data_dir / _twin_name(name)
        content = twin_text(name)
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.write_text(content, encoding="utf-8")
            print(f"wrote {target.relative_to(data_dir.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
