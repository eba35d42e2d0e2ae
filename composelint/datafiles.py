"""The packaged data tables (``composelint/data/*.yaml``), loaded fast.

The YAML files are the source: people edit them. Parsing them with ruamel.yaml costs
more than linting a small repository (~75 ms for the three tables, plus ~20 ms to
import the parser), so each has a JSON twin, ``<name>.json``, holding the same data and
the SHA-256 of the YAML text it was made from. The twin is used only when that hash
matches the YAML as it is now; an edited table whose twin was not regenerated is parsed
from YAML, so a stale twin costs time, never correctness. Regenerate the twins with::

    python -m composelint.datafiles

(a test fails when one is stale).
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources

TABLES = ("base-images.yaml", "python-modules.yaml", "python-console-scripts.yaml")


def load(name: str) -> object:
    """The data of ``composelint/data/<name>``, a YAML file, as plain Python values."""
    data_dir = resources.files("composelint.data")
    text = data_dir.joinpath(name).read_text(encoding="utf-8")
    twin = data_dir.joinpath(_twin_name(name))
    try:
        stored = json.loads(twin.read_text(encoding="utf-8"))
        if stored.get("source-sha256") == _digest(text):
            return stored["data"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    return _parse(text)


def _twin_name(name: str) -> str:
    return name.rsplit(".", 1)[0] + ".json"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse(text: str) -> object:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)


def twin_text(name: str) -> str:
    """What ``<name>.json`` must contain for the YAML file as it is now."""
    text = resources.files("composelint.data").joinpath(name).read_text(encoding="utf-8")
    data = _parse(text)
    if json.loads(json.dumps(data)) != data:
        raise ValueError(f"{name}: the data does not survive a JSON round trip")
    return json.dumps({"source": name, "source-sha256": _digest(text), "data": data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def main() -> int:
    from pathlib import Path

    data_dir = Path(__file__).resolve().parent / "data"
    for name in TABLES:
        target = data_dir / _twin_name(name)
        content = twin_text(name)
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.write_text(content, encoding="utf-8")
            print(f"wrote {target.relative_to(data_dir.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
