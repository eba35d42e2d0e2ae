"""`--fix`: every fix before -> after, idempotence, the CLI around it, and what it must never do.

Each directory of fixtures/fixes/ is one scenario: ``before/`` (copied to a temporary project),
``args`` (the command line: which rule, whether --unsafe-fixes) and ``after/``, the bytes every file
must have after ``composelint --fix``. ``COMPOSELINT_UPDATE_SNAPSHOTS=1`` writes ``after/`` (read
the diff before committing it).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import FIXTURES

from composelint.cli import cli

FIXES = FIXTURES / "fixes"
SCENARIOS = sorted(path.name for path in FIXES.iterdir() if path.is_dir())
UPDATE = os.environ.get("COMPOSELINT_UPDATE_SNAPSHOTS") == "1"


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file() and ".git" not in path.parts}


def _copy(scenario: str, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(FIXES / scenario / "before", project)
    (project / ".git").mkdir()  # the project root
    return project


def lint(project: Path, *args: str, stdin: bytes | None = None):
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(project)
    try:
        return runner.invoke(cli, ["check", "--no-cache", *args], input=stdin, catch_exceptions=False)
    finally:
        os.chdir(cwd)


def _args(scenario: str) -> list[str]:
    return shlex.split((FIXES / scenario / "args").read_text(encoding="utf-8"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fix_before_after(scenario, tmp_path):
    project = _copy(scenario, tmp_path)
    args = _args(scenario)
    before = lint(project, "--format", "json", *args)
    fixable = [d for d in json.loads(before.stdout)["diagnostics"] if d["fix"] is not None]
    assert fixable, f"{scenario}: no finding has a fix"

    done = lint(project, "--fix", *args)
    assert done.exit_code in (0, 1), done.output
    after = FIXES / scenario / "after"
    if UPDATE:
        shutil.rmtree(after, ignore_errors=True)
        shutil.copytree(project, after, ignore=shutil.ignore_patterns(".git"))
    assert _files(project) == _files(after), f"{scenario}: the fixed files differ from after/"

    # Idempotent: a second --fix changes nothing, and none of the fixed findings is reported again.
    again = lint(project, "--fix", *args)
    assert _files(project) == _files(after)
    assert "fixed" not in again.output
    remaining = json.loads(lint(project, "--format", "json", *args).stdout)["diagnostics"]
    assert not [d for d in remaining if d["fix"] is not None and (d["fix"]["applicability"] == "safe"
                                                                   or "--unsafe-fixes" in args)]
    # Exactly the findings whose fix applied are gone (counted: several findings may read alike).
    applied = [d for d in fixable if d["fix"]["applicability"] == "safe" or "--unsafe-fixes" in args]
    found = json.loads(before.stdout)["diagnostics"]
    assert Counter(_key(d) for d in remaining) == Counter(_key(d) for d in found) - Counter(_key(d) for d in applied)


def _key(diagnostic: dict) -> tuple[str, str]:
    return diagnostic["code"], diagnostic["message"]


@pytest.mark.parametrize("scenario", [name for name in SCENARIOS if "unsafe" in name])
def test_unsafe_fixes_need_the_flag(scenario, tmp_path):
    project = _copy(scenario, tmp_path)
    args = [arg for arg in _args(scenario) if arg != "--unsafe-fixes"]
    report = lint(project, *args)
    assert "hidden fix" in report.output and "--unsafe-fixes" in report.output
    found = json.loads(lint(project, "--format", "json", *args).stdout)["diagnostics"]
    unsafe = {(d["code"], d["message"]) for d in found if d["fix"] and d["fix"]["applicability"] == "unsafe"}
    assert unsafe
    lint(project, "--fix", *args)
    after = json.loads(lint(project, "--format", "json", *args).stdout)["diagnostics"]
    assert unsafe <= {(d["code"], d["message"]) for d in after}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_diff_applies_with_git_apply_and_patch(scenario, tmp_path):
    project = _copy(scenario, tmp_path)
    original = _files(project)
    shown = lint(project, "--diff", *_args(scenario))
    assert shown.exit_code == 1
    assert _files(project) == original  # --diff writes nothing
    patch = tmp_path / "fix.patch"
    patch.write_bytes(shown.stdout_bytes)
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    subprocess.run([git, "apply", "--check", str(patch)], cwd=project, check=True, capture_output=True)
    subprocess.run([git, "apply", str(patch)], cwd=project, check=True, capture_output=True)
    assert _files(project) == _files(FIXES / scenario / "after")
    if shutil.which("patch") is not None:  # and with POSIX patch, on a fresh copy (binary: CRLFs stay)
        fresh = _copy(scenario, tmp_path / "fresh")
        subprocess.run(["patch", "-p1", "--binary", "-s", "-i", str(patch)], cwd=fresh, check=True,
                       capture_output=True)
        assert _files(fresh) == _files(FIXES / scenario / "after")


# Instructions a fix may change into another (CL419, CL432) or insert (CL401).
RENAMED = {("ADD", "COPY"), ("MAINTAINER", "LABEL")}
INSERTED = {"WORKDIR /app"}


def _unquoted(value: str) -> str:
    """A word without the double quotes a fix put around it (BuildKit's parser keeps quotes; the
    instruction removes them when it expands the word)."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


@pytest.mark.oracle
@pytest.mark.parametrize("scenario", [name for name in SCENARIOS if (FIXES / name / "after" / "Dockerfile").is_file()])
def test_buildkit_reads_each_fixed_dockerfile_as_the_original(scenario):
    """BuildKit's own parser reads every fixed Dockerfile, with the same instructions in the same order
    (but those a fix renames or inserts) and, for ENV and LABEL, the same pairs after quote removal."""
    buildkit = pytest.importorskip("dockerfile", reason="BuildKit's parser (`dockerfile`) is in the test extra")
    before = buildkit.parse_file(str(FIXES / scenario / "before" / "Dockerfile"))
    after = [command for command in buildkit.parse_file(str(FIXES / scenario / "after" / "Dockerfile"))]
    extra = len([c for c in after if c.original in INSERTED]) - len([c for c in before if c.original in INSERTED])
    for _ in range(extra):  # the inserted line (which one of equal lines it is does not matter)
        after.remove(next(command for command in after if command.original in INSERTED))
    assert len(after) == len(before)
    for old, new in zip(before, after):
        names = old.cmd.upper(), new.cmd.upper()
        assert names[0] == names[1] or names in RENAMED, (old.original, new.original)
        if names == ("MAINTAINER", "LABEL"):
            assert new.value[0] == "org.opencontainers.image.authors"
            assert _unquoted(new.value[1]).replace('\\"', '"') == _unquoted(old.value[0].strip())
        elif names[0] in ("ENV", "LABEL"):
            assert [_unquoted(value) for value in new.value] == [_unquoted(value) for value in old.value]
        elif names[0] == "FROM":
            assert [value.lower() for value in new.value] == [value.lower() for value in old.value]


# --------------------------------------------------------------------------- rule pages

RULE_PAGES = Path(__file__).resolve().parent.parent / "rules"
RULE_MODULES = Path(__file__).resolve().parent.parent / "composelint" / "rules"
PAGE_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _fix_section(code: str) -> str | None:
    page = next(RULE_PAGES.glob(f"{code}-*.md"))
    found = re.search(r"^## Fix\n(.*?)(?=^## )", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    return found.group(1) if found else None


def _fixing_rules() -> list[str]:
    """The codes of the rules whose module builds a Fix."""
    codes = []
    for module in sorted(RULE_MODULES.glob("cl[0-9]*.py")):
        if re.search(r"\bFix\.(safe|unsafe)\(|\bmake\(", module.read_text(encoding="utf-8")):
            codes.append(module.name[:5].upper())
    return codes


FIXING_RULES = _fixing_rules()


@pytest.mark.parametrize("code", FIXING_RULES)
def test_each_fixing_rule_page_says_whether_it_is_safe_with_an_example_that_runs(code, tmp_path):
    """The page's `## Fix` says safe or unsafe, and its example (a `fix=before` block, then `fix=after`;
    `path=` names the file, `unsafe` on the first adds --unsafe-fixes) is what --fix does."""
    section = _fix_section(code)
    assert section is not None, f"rules/{code}-*.md has no '## Fix' section"
    assert re.search(r"\b(Safe|Unsafe|safe|unsafe)\b", section)
    blocks = [(dict(part.split("=", 1) for part in match.group("info").split() if "=" in part),
               match.group("info").split(), match.group("body")) for match in PAGE_FENCE.finditer(section)]
    before = [block for block in blocks if block[0].get("fix") == "before"]
    after = [block for block in blocks if block[0].get("fix") == "after"]
    assert before and len(before) == len(after), f"{code}: the Fix section needs fix=before / fix=after blocks"
    for (attributes, info, text), (_, _, expected) in zip(before, after):
        root = tmp_path / f"example{len(list(tmp_path.iterdir()))}"
        root.mkdir()
        (root / ".git").mkdir()
        path = root / attributes.get("path", "Dockerfile")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        flags = ["--unsafe-fixes"] if "unsafe" in info else []
        if flags:  # an unsafe example: --fix alone leaves it
            lint(root, "--fix", "--select", code)
            assert path.read_text(encoding="utf-8") == text, f"{code}: the unsafe fix applied without the flag"
        lint(root, "--fix", "--select", code, *flags)
        assert path.read_text(encoding="utf-8") == expected, f"{code}: the page's example"


# --------------------------------------------------------------------------- positions onto raw text

from composelint.diagnostics import Edit, Fix, Span  # noqa: E402
from composelint.assembly.reading import decode  # noqa: E402
from composelint.textedits import Lines, apply_edits, unified_diff  # noqa: E402


@pytest.mark.parametrize("raw, line, column, offset", [
    ("ab\ncd", 2, 2, 4),                  # LF
    ("ab\r\ncd", 2, 2, 5),                # CRLF is one break
    ("ab\rcd", 2, 1, 3),                  # a lone CR too, as reading.decode reads it
    ("\ufeffab\ncd", 1, 1, 1),            # the BOM is not in the model's text
    ("\ufeffab\ncd", 2, 1, 4),
    ("\tcafé: x\n", 1, 7, 6),             # code points: a tab is one column, é one
    ("ab\n", 1, 9, 2),                    # past the end of a line: its end, before the break
    ("ab\n", 3, 1, 3),                    # past the last line: the end of the text
])
def test_positions_map_onto_the_raw_text(raw, line, column, offset):
    assert Lines(raw).offset(line, column) == offset


def test_model_positions_and_raw_offsets_agree_on_every_character():
    raw = "\ufeffa\tb\r\nc\u00e9\rd\n\nlast"
    text = decode(raw.encode()).text
    lines = Lines(raw)
    for number, content in enumerate(text.split("\n"), 1):
        for column, char in enumerate(content, 1):
            assert raw[lines.offset(number, column)] == char


def test_an_inserted_line_break_is_the_files_own():
    edit = Edit.insert("f", 2, 1, "new\n")
    assert apply_edits("a\r\nb\r\n", [edit]) == "a\r\nnew\r\nb\r\n"
    assert apply_edits("\ufeffa\nb", [edit]) == "\ufeffa\nnew\nb"
    assert apply_edits("a\n", [Edit.delete_lines("f", 1, 1)]) == ""
    assert apply_edits("a\r\nb", [Edit.delete_lines("f", 2, 2)]) == "a\r\n"


def test_overlapping_edits_are_refused():
    one = Edit.replace(Span.at("f", 1, 1, 1, 3), "x")
    with pytest.raises(ValueError):
        apply_edits("abcd", [one, Edit.replace(Span.at("f", 1, 2, 1, 4), "y")])
    with pytest.raises(ValueError):  # two insertions at one place have no order
        apply_edits("abcd", [Edit.insert("f", 1, 2, "x"), Edit.insert("f", 1, 2, "y")])
    assert apply_edits("abcd", [one, Edit.insert("f", 1, 3, "-")]) == "x-cd"  # touching is fine


def test_diff_marks_a_missing_final_newline():
    diff = unified_diff("compose.yaml", "a: 1\nversion: 2", "a: 1\n")
    assert diff.startswith("--- a/compose.yaml\n+++ b/compose.yaml\n")
    assert diff.endswith("-version: 2\n\\ No newline at end of file\n")


def test_fix_needs_edits_in_one_file_and_the_flag_for_unsafe():
    safe = Fix.safe("t", Edit.insert("f", 1, 1, "x"))
    unsafe = Fix.unsafe("t", Edit.insert("f", 1, 1, "x"))
    assert safe.applies(False) and not unsafe.applies(False) and unsafe.applies(True)
    assert not Fix.safe("t").applies(True)


# --------------------------------------------------------------------------- the command line

DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /app\nRUN pip install flask\nUSER nobody\nCMD python -m flask run\n"


def _project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / ".git").mkdir()
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def test_text_report_marks_fixable_findings_and_counts_them(tmp_path):
    root = _project(tmp_path, {"Dockerfile": DOCKERFILE,
                               "compose.yaml": "services:\n  web:\n    build: .\n    command: uvicorn a:b --reload\n"})
    out = lint(root, "--select", "CL402,CL206,CL202").output
    assert "CL402 [*] [pip-cache]" in out and "CL206 [*] [shell-form-command]" in out
    assert "CL202 [dev-reload]" in out  # unsafe: not marked without --unsafe-fixes
    assert "= fix: Add `--no-cache-dir`" in out and "= unsafe fix: Remove `--reload`" in out
    assert "[*] 2 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` " \
           "option)." in out
    out = lint(root, "--select", "CL402,CL206,CL202", "--unsafe-fixes").output
    assert "CL202 [*] [dev-reload]" in out
    assert "[*] 3 fixable with the `--fix --unsafe-fixes` options." in out
    out = lint(root, "--select", "CL202").output
    assert "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option)." in out


def test_fix_reports_what_remains_and_exits_on_it(tmp_path):
    root = _project(tmp_path, {"Dockerfile": DOCKERFILE})
    done = lint(root, "--select", "CL402,CL206,CL404", "--fix")
    assert "Found 2 problems (2 fixed, 0 remaining)." in done.output
    assert done.exit_code == 0
    assert (root / "Dockerfile").read_text() == DOCKERFILE.replace("install", "install --no-cache-dir").replace(
        "CMD python -m flask run", 'CMD ["python", "-m", "flask", "run"]')
    (root / "Dockerfile").write_text(DOCKERFILE.replace("USER nobody\n", ""))
    done = lint(root, "--select", "CL402,CL404", "--fix", "--fail-on", "info")
    assert "Found 2 problems (1 fixed, 1 remaining: 1 info)." in done.output and done.exit_code == 1


def test_fix_only_prints_nothing_but_a_note_and_exits_0(tmp_path):
    root = _project(tmp_path, {"Dockerfile": DOCKERFILE.replace("USER nobody\n", "")})
    done = lint(root, "--select", "CL402,CL404", "--fix-only", "--fail-on", "info")
    assert done.exit_code == 0
    assert "CL404" not in done.output
    assert "--no-cache-dir" in (root / "Dockerfile").read_text()


def test_stdin_filename_with_fix_prints_the_fixed_text_and_writes_nothing(tmp_path):
    root = _project(tmp_path, {"Dockerfile": "FROM scratch\n"})
    buffer = DOCKERFILE.replace("\n", "\r\n").encode()
    done = lint(root, "--select", "CL402", "--fix", "--stdin-filename", "Dockerfile", stdin=buffer)
    assert done.exit_code == 0
    assert done.stdout_bytes == buffer.replace(b"install", b"install --no-cache-dir")
    assert (root / "Dockerfile").read_text() == "FROM scratch\n"
    # --diff on a buffer: the diff, nothing written.
    shown = lint(root, "--select", "CL402", "--diff", "--stdin-filename", "Dockerfile", stdin=buffer)
    assert shown.exit_code == 1 and b"+RUN pip install --no-cache-dir flask\r\n" in shown.stdout_bytes


def test_suppressed_and_baselined_findings_are_not_fixed(tmp_path):
    suppressed = DOCKERFILE.replace("RUN pip", "# composelint: ignore[CL402] -- cached on purpose\nRUN pip")
    root = _project(tmp_path, {"Dockerfile": suppressed})
    lint(root, "--select", "CL402", "--fix")
    assert (root / "Dockerfile").read_text() == suppressed
    (root / "Dockerfile").write_text(DOCKERFILE)
    assert lint(root, "--select", "CL402", "--write-baseline", "base.json").exit_code == 0
    done = lint(root, "--select", "CL402", "--baseline", "base.json", "--fix")
    assert (root / "Dockerfile").read_text() == DOCKERFILE
    assert done.exit_code == 0


def test_fixes_that_overlap_wait_for_the_next_pass(tmp_path):
    # Both findings (1.27 and 1.28 repeat 1.26) remove line 3 first; the second waits, and the next
    # pass removes what is then the earlier of the two left.
    compose = "services:\n  web:\n    image: nginx:1.26\n    image: nginx:1.27\n    image: nginx:1.28\n"
    root = _project(tmp_path, {"compose.yaml": compose})
    done = lint(root, "--select", "CL004", "--fix", "--unsafe-fixes")
    assert (root / "compose.yaml").read_text() == "services:\n  web:\n    image: nginx:1.28\n"
    assert "(2 fixed, 0 remaining)" in done.output


def test_a_fix_that_breaks_the_file_is_abandoned_and_reported(tmp_path, monkeypatch):
    from composelint.rules import cl010_obsolete_version

    def broken(project, path, entry):
        return Fix.safe("break it", Edit.insert(path, entry.key.span.line, 1, "  [: \n"))

    monkeypatch.setattr(cl010_obsolete_version, "_remove_line", broken)
    compose = "version: '3'\nservices:\n  web:\n    image: nginx:1.27\n"
    root = _project(tmp_path, {"compose.yaml": compose})
    done = lint(root, "--select", "CL010", "--fix")
    assert (root / "compose.yaml").read_text() == compose
    assert "compose.yaml: fix abandoned: the fixed file would have a new error, CL001" in done.output
    assert "CL010 [*]" in done.output  # still reported, and still fixable as far as the rule knows


def test_json_and_sarif_carry_the_fix(tmp_path, sarif_validator):
    import jsonschema

    from composelint.datafiles import DATA_DIR

    root = _project(tmp_path, {"Dockerfile": DOCKERFILE})
    document = json.loads(lint(root, "--select", "CL402,CL206", "--format", "json").stdout)
    schema = json.loads(Path(DATA_DIR, "output-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    fixes = {d["code"]: d["fix"] for d in document["diagnostics"]}
    assert fixes["CL402"] == {"title": "Add `--no-cache-dir`", "applicability": "safe", "edits": [
        {"path": "Dockerfile", "line": 3, "column": 16, "end_line": 3, "end_column": 16,
         "content": " --no-cache-dir"}]}
    log = json.loads(lint(root, "--select", "CL402,CL206", "--format", "sarif").stdout)
    sarif_validator.validate(log)
    results = {result["ruleId"]: result for result in log["runs"][0]["results"]}
    change = results["CL206"]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "Dockerfile"
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 24},
        "insertedContent": {"text": '["python", "-m", "flask", "run"]'}}]
    assert results["CL206"]["fixes"][0]["properties"] == {"applicability": "safe"}
