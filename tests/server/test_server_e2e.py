"""``composelint server`` end to end: a real LSP client over stdio, a real project on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_client import run, start, stop, types

COMPOSE = 'services:\n  api:\n    build: ./api\n    command: sh -c "pip install flask && python app.py"\n'
DOCKERFILE = 'FROM python:3.12\nCOPY . .\nCMD ["python", "app.py"]\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "api").mkdir()
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "api" / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


async def _opened(project: Path, code: str, relpath: str = "compose.yaml"):
    """A server on ``project`` with ``relpath`` open, once its ``code`` finding has arrived."""
    client = await start(project)
    uri = client.open(project / relpath)
    await client.until(lambda: code in client.codes(uri), code)
    return client, uri


def _messages(client, uri: str, code: str) -> list[str]:
    return [d.message for d in client.diagnostics.get(uri, ()) if d.code == code]


def test_a_dockerfile_edit_updates_the_findings_of_the_compose_file_that_builds_it(project):
    async def scenario():
        client = await start(project)
        compose = client.open(project / "compose.yaml", language="dockercompose")
        dockerfile = client.open(project / "api" / "Dockerfile", language="dockerfile")
        await client.until(lambda: "CL203" in client.codes(compose) and "CL401" in client.codes(dockerfile),
                           "the first findings of both files")
        assert "runs in `/`" in _messages(client, compose, "CL203")[0]
        first = next(d for d in client.diagnostics[compose] if d.code == "CL201")
        # Where the finding is, what it links to, and its notes.
        assert (first.range.start.line, first.range.start.character) == (3, 20)
        assert (first.range.end.line, first.range.end.character) == (3, 37)
        assert first.severity == types.DiagnosticSeverity.Error and first.source == "composelint"
        assert first.code_description.href.endswith("CL201-runtime-install.md")
        assert first.related_information[0].location.uri == dockerfile
        assert "api/Dockerfile" in first.related_information[0].message or first.related_information[0].message
        assert "\nhelp: " in first.message

        # An unsaved edit of the Dockerfile: WORKDIR /app before the COPY.
        client.insert(dockerfile, 1, 0, "WORKDIR /app\n")
        await client.until(lambda: "CL401" not in client.codes(dockerfile)
                           and any("runs in `/app`" in m for m in _messages(client, compose, "CL203")),
                           "the Dockerfile's CL401 gone and the compose file's CL203 updated")
        assert (project / "api" / "Dockerfile").read_text() == DOCKERFILE  # the server never writes
        assert await stop(client) == 0

    run(scenario())


def test_a_finding_that_disappears_is_cleared_with_an_empty_list(project):
    async def scenario():
        client, compose = await _opened(project, "CL201")
        client.replace(compose, "services:\n  api:\n    image: nginx:1.27\n    init: true\n"
                                "    deploy: {resources: {limits: {memory: 64m, cpus: '0.5'}}}\n")
        dockerfile = (project / "api" / "Dockerfile").as_uri()
        await client.until(lambda: client.codes(compose) == [], "the compose file's findings to clear")
        # The Dockerfile is no longer built by anyone; its own findings stay published.
        assert "CL401" in client.codes(dockerfile)
        await stop(client)

    run(scenario())


def test_hover_shows_the_rule_documentation(project):
    async def scenario():
        client, compose = await _opened(project, "CL201")
        hover = await client.lsp.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=compose), position=types.Position(line=3, character=25)))
        assert hover is not None
        text = hover.contents.value
        assert "**CL201 runtime-install** (error)" in text
        assert "## What it does" in text  # the page, its headings one level down
        nothing = await client.lsp.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=compose), position=types.Position(line=0, character=2)))
        assert nothing is None
        await stop(client)

    run(scenario())


def _apply(text: str, edits) -> str:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text


@pytest.mark.parametrize("relpath, line, code, expected", [
    ("compose.yaml", 3, "CL201",
     'services:\n  api:\n    build: ./api\n    command: sh -c "pip install flask && python app.py"'
     '  # composelint: ignore[runtime-install] -- reason\n'),
    ("api/Dockerfile", 1, "CL401",
     'FROM python:3.12\n# composelint: ignore[missing-workdir] -- reason\nCOPY . .\nCMD ["python", "app.py"]\n'),
])
def test_the_suppression_code_action_silences_the_finding(project, relpath, line, code, expected):
    async def scenario():
        client, uri = await _opened(project, code, relpath)
        path = project / relpath
        finding = next(d for d in client.diagnostics[uri] if d.code == code)
        actions = await client.lsp.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)),
            context=types.CodeActionContext(diagnostics=[finding])))
        suppress = [a for a in actions if code in a.title and "Suppress" in a.title]
        assert len(suppress) == 1, [a.title for a in actions]
        action = suppress[0]
        assert action.kind == types.CodeActionKind.QuickFix and action.diagnostics[0].code == code
        fixed = _apply(path.read_text(), action.edit.changes[uri])
        assert fixed == expected
        client.replace(uri, fixed)
        await client.until(lambda: code not in client.codes(uri), f"{code} to be suppressed")
        await stop(client)

    run(scenario())


def test_a_rules_fix_is_offered_first_safe_preferred_unsafe_labelled_and_applying_it_removes_the_finding(project):
    dockerfile = 'FROM python:3.12\nCOPY . .\nRUN pip install flask\nCMD ["python", "app.py"]\n'
    (project / "api" / "Dockerfile").write_text(dockerfile)

    async def actions_on(client, uri, code):
        finding = next(d for d in client.diagnostics[uri] if d.code == code)
        return await client.lsp.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=finding.range,
            context=types.CodeActionContext(diagnostics=[finding])))

    async def scenario():
        client, uri = await _opened(project, "CL402", "api/Dockerfile")
        safe = [a for a in await actions_on(client, uri, "CL402") if a.diagnostics[0].code == "CL402"]
        assert [(a.title, a.is_preferred) for a in safe] == [
            ("Add `--no-cache-dir`", True), ("Suppress CL402 (pip-cache) here with a `# composelint: ignore` comment",
                                             None)]
        fixed = _apply(dockerfile, safe[0].edit.changes[uri])
        assert fixed.split("\n")[2] == "RUN pip install --no-cache-dir flask"
        unsafe = [a for a in await actions_on(client, uri, "CL401") if a.diagnostics[0].code == "CL401"]
        assert unsafe[0].title == "Insert `WORKDIR /app` before the first relative COPY (unsafe: review the change)"
        assert not unsafe[0].is_preferred
        fixed = _apply(fixed, unsafe[0].edit.changes[uri])
        assert fixed.split("\n")[1:3] == ["WORKDIR /app", "COPY . ."]
        client.replace(uri, fixed)
        await client.until(lambda: not {"CL401", "CL402"} & set(client.codes(uri)), "CL401 and CL402 to be fixed")
        await stop(client)

    run(scenario())


def test_a_multi_line_yaml_value_is_suppressed_on_the_line_above_it(project):
    compose = ("services:\n  api:\n    build: ./api\n    command:\n      - sh\n      - -c\n      - |\n"
               "        pip install flask\n        python app.py\n")
    (project / "compose.yaml").write_text(compose)

    async def scenario():
        client, uri = await _opened(project, "CL201")
        finding = next(d for d in client.diagnostics[uri] if d.code == "CL201")
        assert (finding.range.start.line, finding.range.end.line) == (6, 9)  # the whole block scalar
        actions = await client.lsp.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=finding.range,
            context=types.CodeActionContext(diagnostics=[finding])))
        action = next(a for a in actions if "CL201" in a.title)
        fixed = _apply(compose, action.edit.changes[uri])
        # Not inside the script (a line there would become part of it): above the item.
        assert fixed.split("\n")[6:8] == ["      # composelint: ignore[runtime-install] -- reason", "      - |"]
        client.replace(uri, fixed)
        await client.until(lambda: "CL201" not in client.codes(uri), "CL201 to be suppressed")
        await stop(client)

    run(scenario())


def _watched(client, path: Path, kind: types.FileChangeType) -> None:
    client.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=path.as_uri(), type=kind)]))


def test_files_changed_on_disk_and_the_configuration_are_picked_up(project):
    async def scenario():
        client, compose = await _opened(project, "CL203")
        # A file created outside the editor: the script the command runs now exists.
        (project / "api" / "app.py").write_text("print('hello')\n")
        _watched(client, project / "api" / "app.py", types.FileChangeType.Created)
        await client.until(lambda: "CL203" not in client.codes(compose) and "CL201" in client.codes(compose),
                           "CL203 gone once app.py exists")
        # A file the model reads, changed on disk (not open in the editor: its findings are published too).
        dockerfile = (project / "api" / "Dockerfile").as_uri()
        assert "CL401" in client.codes(dockerfile)
        (project / "api" / "Dockerfile").write_text(DOCKERFILE.replace("COPY", "WORKDIR /app\nCOPY"))
        _watched(client, project / ".git" / "index", types.FileChangeType.Changed)  # ignored
        _watched(client, project / "api" / "Dockerfile", types.FileChangeType.Changed)
        await client.until(lambda: "CL401" not in client.codes(dockerfile), "CL401 gone with WORKDIR on disk")
        # The configuration changed on disk: reloaded.
        (project / ".composelint.yaml").write_text("ignore: [runtime-install]\n")
        _watched(client, project / ".composelint.yaml", types.FileChangeType.Created)
        await client.until(lambda: "CL201" not in client.codes(compose), "CL201 ignored by the new configuration")
        # An invalid one is reported on its file; the last valid one stays in force.
        (project / ".composelint.yaml").write_text("ignore: [no-such-rule]\n")
        _watched(client, project / ".composelint.yaml", types.FileChangeType.Changed)
        config = (project / ".composelint.yaml").as_uri()
        await client.until(lambda: client.codes(config) == ["config"], "the configuration error on its file")
        assert "no-such-rule" in client.diagnostics[config][0].message
        assert "CL201" not in client.codes(compose)
        (project / ".composelint.yaml").write_text("ignore: [missing-resource-limits]\n")
        _watched(client, project / ".composelint.yaml", types.FileChangeType.Changed)
        await client.until(lambda: client.codes(config) == [] and "CL201" in client.codes(compose)
                           and "CL301" not in client.codes(compose), "the fixed configuration in force")
        await stop(client)

    run(scenario())


def test_a_burst_of_edits_ends_with_the_findings_of_the_last_buffer(project):
    async def scenario():
        client, compose = await _opened(project, "CL201")
        for number in range(12):  # typing: each edit makes the previous run stale
            client.replace(compose, COMPOSE.replace("flask", f"flask{number}"))
        client.replace(compose, "services:\n  api:\n    image: nginx:1.27\n")
        await client.until(lambda: client.codes(compose) == ["CL301"], "only the last buffer's finding")
        await stop(client)

    run(scenario())


def test_a_compose_file_recognised_by_its_content_is_linted(project):
    stack = 'services:\n  worker:\n    image: python:3.12\n    command: sh -c "pip install celery && celery worker"\n'

    async def scenario():
        client = await start(project)
        # An unsaved buffer of a new file, and a file changed on disk into a compose file.
        buffer = client.open(project / "deploy" / "stack.yml", text=stack)
        await client.until(lambda: "CL201" in client.codes(buffer), "CL201 in the buffer recognised by content")
        (project / "other.yml").write_text("just: data\n")
        _watched(client, project / "other.yml", types.FileChangeType.Created)
        # Runs are one at a time: once an edit made after the event is linted, the walk saw plain data.
        client.replace(buffer, stack + "    init: true\n")
        await client.until(lambda: "CL205" not in client.codes(buffer), "the run after the event")
        (project / "other.yml").write_text(stack.replace("worker", "beat"))
        _watched(client, project / "other.yml", types.FileChangeType.Changed)
        other = (project / "other.yml").as_uri()
        await client.until(lambda: "CL201" in client.codes(other), "CL201 in the file changed into a compose file")
        await stop(client)

    run(scenario())
