"""The paths a repository's automation and documented setup create (composelint/assembly/created.py).

created.py reads README setup and CI steps with the same readers the deployments use
(``document_units`` and ``automation_units`` with a ``wanted`` predicate that keeps every command),
so both agree on prompts, sessions, the order of blocks and a step's working directory.
"""

from __future__ import annotations

from composelint.assembly.created import created_paths


def created(path: str, text: str) -> list[str]:
    return sorted(created_paths([(path, text)]).by_path)


def test_a_readme_command_after_a_user_at_host_prompt_is_read():
    # was []: only a bare `$ ` prompt was dropped, so `me@box:~/app$` read as the program
    assert created("README.md", "```console\nme@box:~/app$ mkdir data\n```\n") == ["data"]


def test_the_output_lines_of_a_readme_session_are_no_commands():
    text = "```console\n$ cp .env.example .env\ncp: created > log.txt\n```\n"
    assert created("README.md", text) == [".env"]  # was [".env", "log.txt"]: the output line was run


def test_readme_blocks_run_one_after_the_other_as_a_reader_types_them():
    text = "Go to the deployment:\n\n```sh\ncd deploy\n```\n\nthen create its settings:\n\n```sh\ntouch .env\n```\n"
    assert created("docs/README.md", text) == ["docs/deploy/.env"]  # was ["docs/.env"]: each block restarted


def test_an_unlabelled_readme_block_is_read_too():
    assert created("README.md", "```\ncp env.example .env\n```\n") == [".env"]


def test_a_workflow_step_runs_in_its_working_directory():
    text = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - name: Prepare\n        working-directory: app\n        run: mkdir -p data\n")
    assert created(".github/workflows/ci.yml", text) == ["app/data"]  # was ["data"]: the root, always


def test_only_the_shell_of_a_ci_file_is_read_not_its_names_or_images():
    text = ("build:\n  image: docker:latest\n  variables:\n    NOTE: \"echo x > notes.txt\"\n"
            "  script:\n    - mkdir -p out\n")
    assert created(".gitlab-ci.yml", text) == ["out"]
