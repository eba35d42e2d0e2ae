"""Configuration: files, validation with key paths, precedence of the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import write_tree

from composelint.cli import cli
from composelint.config import Config, ConfigError, load_config, with_overrides
from composelint.diagnostics import Severity
from composelint.engine import enabled_rules

BAD_COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    enviroment: {}\n    command: ${MISSING}\n"


def codes(config: Config) -> set[str]:
    return set(enabled_rules(config))


def test_defaults_without_a_file(tmp_path):
    config = load_config(tmp_path)
    assert config.source is None and config.fail_on == Severity.WARNING
    assert "CL001" in codes(config)


def test_yaml_file_is_read(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "ignore: [CL005]\nfail-on: error\nseverity: {CL002: warning}\n"})
    config = load_config(tmp_path)
    assert config.source == ".composelint.yaml"
    assert "CL005" not in codes(config)
    assert config.fail_on == Severity.ERROR
    assert config.severity == {"CL002": Severity.WARNING}


def test_pyproject_section_is_read(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n\n[tool.composelint]\nselect = ["CL00"]\n'
                                            'ignore = ["duplicate-key"]\n'})
    config = load_config(tmp_path)
    assert codes(config) == {"CL001", "CL002", "CL003", "CL005", "CL006", "CL007", "CL008", "CL009"}


def test_yaml_file_wins_over_pyproject(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[tool.composelint]\nfail-on = "info"\n',
                          ".composelint.yaml": "fail-on: error\n"})
    assert load_config(tmp_path).fail_on == Severity.ERROR


@pytest.mark.parametrize("content,fragment", [
    ("selct: [CL001]\n", ".composelint.yaml:1:1: unknown key `selct`; did you mean `select`?"),
    ("fail-on: fatal\n", ".composelint.yaml:1:10: `fail-on`: 'fatal' is not one of error, warning, info"),
    ("select: [CL9]\n", "`select[0]`: `CL9` is not a rule code, code prefix or rule name"),
    ("severity:\n  CL999: error\n", ".composelint.yaml:2:3: `severity.CL999`: no rule has that code or name"),
    ("limits:\n  yaml-depth: 5000\n", ".composelint.yaml:2:15: `limits.yaml-depth`"),
    ("rules:\n  CL001:\n    colour: red\n", ".composelint.yaml:3:5: unknown key `rules.CL001.colour`"),
    ("rules:\n  CL999: {}\n", ".composelint.yaml:2:3: unknown key `rules.CL999`"),
    ("rules:\n  missing-resource-limits:\n    require: memory\n",
     ".composelint.yaml:3:14: `rules.missing-resource-limits.require`: 'memory' is not of type 'array'"),
    ("- a\n", "the configuration must be a mapping"),
    ("a: [\n", "invalid YAML"),
])
def test_invalid_config_names_the_key_path(tmp_path, content, fragment):
    write_tree(tmp_path, {".composelint.yaml": content})
    with pytest.raises(ConfigError) as excinfo:
        load_config(tmp_path)
    assert fragment in str(excinfo.value)


def test_invalid_pyproject_names_the_key_path(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[tool.composelint]\nexclude = "vendor"\n'})
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.composelint\]: `exclude`"):
        load_config(tmp_path)


def test_invalid_config_exits_2_with_one_line(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "fail-on: fatal\n", "compose.yaml": BAD_COMPOSE})
    result = CliRunner().invoke(cli, [str(tmp_path)])
    assert result.exit_code == 2
    assert "invalid configuration" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_command_line_overrides_file(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "ignore: [CL002]\nfail-on: error\n", "compose.yaml": BAD_COMPOSE})
    runner = CliRunner()
    by_file = runner.invoke(cli, [str(tmp_path), "--format", "concise"])
    assert "CL002" not in by_file.output and "CL005" in by_file.output
    assert by_file.exit_code == 0  # CL005 unset is a warning; the file says fail on errors only
    by_flag = runner.invoke(cli, [str(tmp_path), "--format", "concise", "--select", "CL002", "--fail-on", "warning"])
    assert "CL002" in by_flag.output and "CL005" not in by_flag.output
    assert by_flag.exit_code == 1
    severity = runner.invoke(cli, [str(tmp_path), "--format", "concise", "--select", "CL005",
                                   "--severity", "interpolation=error"])
    assert "CL005 error" in severity.output and severity.exit_code == 1


def test_selection_prefixes_longest_wins():
    from composelint.rules import CODES, OPT_IN

    config = with_overrides(Config(), select=("CL0",), ignore=("CL00",), extend_select=("CL005",))
    # CL005 (extend-select) beats CL00 (ignore), which beats CL0 (select): a CL01x rule stays selected
    family = {code for code in CODES if code.startswith("CL01") and code not in OPT_IN}
    assert codes(config) == {"CL005"} | family


def test_per_file_ignores(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": 'per-file-ignores:\n  "legacy/*.yaml": [CL002]\n',
                          "legacy/compose.yaml": BAD_COMPOSE, "compose.yaml": BAD_COMPOSE})
    result = CliRunner().invoke(cli, [str(tmp_path), "--format", "concise", "--select", "CL002"])
    lines = result.output.strip().splitlines()
    assert lines and all(line.startswith("compose.yaml:") for line in lines)


def test_env_from_config_feeds_interpolation(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "env:\n  MISSING: hello\n", "compose.yaml": BAD_COMPOSE})
    result = CliRunner().invoke(cli, [str(tmp_path), "--format", "concise", "--select", "CL005"])
    assert result.output == "" and result.exit_code == 0


def test_machine_environment_is_used_only_on_request(tmp_path, monkeypatch):
    monkeypatch.setenv("MISSING", "from-shell")
    write_tree(tmp_path, {"compose.yaml": BAD_COMPOSE})
    runner = CliRunner()
    assert "CL005" in runner.invoke(cli, [str(tmp_path), "--format", "concise"]).output
    opted = runner.invoke(cli, [str(tmp_path), "--format", "concise", "--select", "CL005", "--use-environment"])
    assert opted.output == ""
