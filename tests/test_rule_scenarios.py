"""Every rule's scenario trees, found through the registry: ``fixtures/rules/<CODE>-<scenario>/``.

Each scenario is a project root (it holds a ``.composelint.yaml``); only the rule named by the
directory's prefix runs, and its concise output must equal the scenario's ``expected.txt``.
``COMPOSELINT_UPDATE_SNAPSHOTS=1`` rewrites them (read the diff). A new rule, or a new family, needs
no edit here: its code in ``composelint/rules/__init__.py`` MODULES and a directory are enough.
"""

from __future__ import annotations

import pytest
from helpers import FIXTURES, scenario_lines, scenarios

from composelint.rules import CODES as REGISTERED

SCENARIOS = scenarios(*REGISTERED)
# Families whose every rule must show itself on a scenario tree (CL0xx and CL1xx are proven by the
# parser and graph tests, on trees of their own).
FAMILIES_WITH_SCENARIOS = ("CL2", "CL3", "CL4")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[path.name for path in SCENARIOS])
def test_scenario(scenario):
    actual, expected = scenario_lines(scenario)
    assert actual == expected
    assert actual, "every scenario shows the rule firing"


def test_every_scenario_directory_belongs_to_a_registered_rule():
    """A directory whose prefix names no registered code would silently never run."""
    directories = sorted(path.name for path in (FIXTURES / "rules").iterdir() if path.is_dir())
    assert [name for name in directories if name.split("-", 1)[0] not in REGISTERED] == []
    assert directories == [path.name for path in SCENARIOS]


def test_every_rule_of_the_scenario_families_has_a_scenario():
    wanted = {code for code in REGISTERED if code.startswith(FAMILIES_WITH_SCENARIOS)}
    assert wanted <= {path.name.split("-", 1)[0] for path in SCENARIOS}
