"""Python dependencies of a build: what a Dockerfile stage installs, what the context's code imports.

The public API of :mod:`composelint.analysis.python` (where the code lives, one module per concern), for
the rules (CL204, CL402-CL407) and :mod:`composelint.analysis.image`:

* :func:`installed_python` -> :class:`PythonInstall`: the distributions a stage installs (its FROM chain,
  the stages it copies from, the base image's own packages and the known transitive dependencies), and
  whether that answer is complete. Callers must never call something "missing" unless
  :meth:`PythonInstall.has` returns ``False`` (or ``complete`` is true and the name is absent).
* :func:`console_scripts`: the executables a set of distributions installs.
* :func:`missing_imports`: imports of the context's code that no installed distribution provides.
* :func:`image_builds`, :func:`run_commands`, :func:`stage_run_commands`, :func:`stage_installs`,
  :func:`stage_chain_of`, …: shared by the image-build rules.

The import-name -> distribution table, the well-known dependencies of popular distributions and the
packages of known base images are data: ``composelint/data/python-modules.yaml``; executables are in
``composelint/data/python-console-scripts.yaml``. Both are documented in rules/CL407 and tested.
"""

from __future__ import annotations

from composelint.analysis.python.builds import (ImageBuild, builds_of, default_context, image_builds, shipped_stages,
                                                stage_chain_of, stage_environments_of)
from composelint.analysis.python.commands import ShellCommand, ShellWord, run_commands, stage_run_commands
from composelint.analysis.python.imports import ImportRef, is_application_file, runtime_imports, stdlib_modules
from composelint.analysis.python.install import PythonInstall
from composelint.analysis.python.installers import (MANIFEST_FIRST, InstallCommand, generates_code, install_command,
                                                    manifest_install, runs_script, runtime_install, stage_installs)
from composelint.analysis.python.missing import MissingImport, missing_imports
from composelint.analysis.python.requirements import Requirement, Unresolved, normalize, parse_requirement
from composelint.analysis.python.stages import analysis, installed_python
from composelint.analysis.python.tables import (base_image_packages, console_scripts, distribution_for_module,
                                                system_python_package, tables)

__all__ = [
    "MANIFEST_FIRST", "ImageBuild", "ImportRef", "InstallCommand", "MissingImport", "PythonInstall", "Requirement",
    "ShellCommand", "ShellWord", "Unresolved", "analysis", "base_image_packages", "builds_of", "console_scripts",
    "default_context", "distribution_for_module", "generates_code", "image_builds",
    "install_command", "installed_python", "is_application_file", "manifest_install",
    "missing_imports", "normalize", "parse_requirement", "run_commands", "runs_script", "runtime_imports",
    "runtime_install", "shipped_stages", "stage_chain_of", "stage_environments_of", "stage_installs", "stage_run_commands",
    "stdlib_modules", "system_python_package", "tables",
]
