"""Dockerfile text -> :class:`composelint.model.Dockerfile`, read the way BuildKit reads it.

One linear pass over the raw lines follows BuildKit's parser (moby/buildkit
``frontend/dockerfile/parser``): parser directives and the escape character, continuation lines
(blank and comment lines inside them skipped), heredoc bodies, then each instruction's keyword,
flags, arguments, exec form and exact columns, and every CL003 problem. tests/test_oracle_dockerfile.py
checks the instruction line ranges against BuildKit's own parser over the fixtures and corpora.
dockerfile-parse is not used: measured, it gets the line ranges of a quarter of real Dockerfiles
wrong and adds nothing this pass lacks (README, Design notes).

Nothing here raises on bad input and nothing is quadratic: hostile files get problems, not tracebacks.
"""

from composelint.parsers.dockerfile.environment import (  # noqa: F401  (the package's API)
    _arg_defaults, _arg_pairs, _env_pairs, stage_environment, stage_environments,
)
from composelint.parsers.dockerfile.expand import substitute  # noqa: F401
from composelint.parsers.dockerfile.lines import CODE, MAX_PROBLEMS  # noqa: F401
from composelint.parsers.dockerfile.parser import _Parser, parse_dockerfile  # noqa: F401
from composelint.parsers.dockerfile.words import FLAG_SPECS, INSTRUCTIONS  # noqa: F401
