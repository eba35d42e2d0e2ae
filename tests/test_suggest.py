"""closest_name: the one did-you-mean (services, hosts, resources, rule codes, schema keys, instructions, files)."""

from __future__ import annotations

import pytest

from composelint.suggest import closest_name


@pytest.mark.parametrize("name, candidates, expected", [
    ("Image", ["image", "build"], "image"),  # case only
    ("CPOY", ["COPY", "CMD", "RUN"], "COPY"),  # a transposition
    ("HEALTHCHEK", ["HEALTHCHECK", "EXPOSE"], "HEALTHCHECK"),
    ("postgress", ["postgres", "web"], "postgres"),
    ("redis-cache", ["redis", "backend"], "redis"),  # a `-` part more
    ("db", ["db-primary", "web"], "db-primary"),  # a `-` part less
    ("zzz", ["redis"], None),
    ("web", ["web"], None),  # never the name itself
    ("", ["web"], None),
    ("x", [], None),
])
def test_closest_name(name, candidates, expected):
    assert closest_name(name, candidates) == expected


def test_cutoff():
    assert closest_name("app.py", ["setup.py"]) is None  # ratio 0.57
    assert closest_name("app.py", ["setup.py"], cutoff=0.5) == "setup.py"
