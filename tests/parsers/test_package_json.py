"""composelint.parsers.package_json: the one reader of package.json scripts (deployments and CL202 had one each)."""

from __future__ import annotations

from helpers import lint, write_tree

from composelint.parsers.package_json import scripts_of

PACKAGE = ('{\n  "config": {"start": "8080"},\n  "scripts": {\n    "dev": "start",\n'
           '    "start": "react-scripts start",\n    "\u00e9tape": "docker compose up",\n    "n": 1\n  }\n}\n')


def test_names_and_commands_are_found_where_the_scripts_are_written():
    scripts = scripts_of(PACKAGE)
    assert list(scripts) == ["dev", "start", "\u00e9tape"]  # a command that is no string is no script
    start = scripts["start"]
    assert PACKAGE[start.key:].startswith('"start": "react-scripts start"')  # not config's, not dev's command
    assert PACKAGE[start.value:].startswith('"react-scripts start"')
    assert PACKAGE[scripts["\u00e9tape"].key:].startswith('"\u00e9tape"')  # written as is, not \\u00e9


def test_no_json_object_has_no_scripts():
    assert scripts_of("{") == {} and scripts_of("[]") == {} and scripts_of('{"scripts": []}') == {}


def test_the_start_script_note_points_at_its_definition(tmp_path):
    # CL202's reader took the first line holding `"start":` anywhere in the file: config's, on line 2
    write_tree(tmp_path, {
        ".composelint.yaml": "root: true\n", "web/package.json": PACKAGE,
        "compose.yaml": ('services:\n  web:\n    image: node:22-slim\n    working_dir: /app\n    volumes:\n'
                         '      - ./web:/app\n    command: ["npm", "start"]\n')})
    (finding,) = lint(tmp_path, select=("CL202",)).diagnostics
    (note,) = [related for related in finding.related if related.span.path == "web/package.json"]
    assert (note.span.start.line, note.span.start.column) == (5, 5)


def test_a_key_is_its_name_followed_by_white_space_and_a_colon():
    # "dev" first stands as a value (of "start"), then as a key written with spaces and a tab before its colon
    text = '{"scripts": {"start": "dev", "x": "\\"dev\\"", "dev" \t\n :  "vite"}}'
    dev = scripts_of(text)["dev"]
    assert text[dev.key:].startswith('"dev" \t\n :') and text[dev.value:].startswith('"vite"')
