import json
import sys
from pathlib import Path

import pytest

# The tests import their helpers as a plain module.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def sarif_validator():
    """A validator of the official SARIF 2.1.0 schema, which CI provides beside the checkout (../shared/schemas)."""
    from helpers import SCHEMAS

    path = SCHEMAS / "sarif-schema-2.1.0.json"
    if not path.is_file():
        pytest.skip(f"official SARIF schema not found at {path} (CI provides ../shared/schemas)")
    import jsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)
