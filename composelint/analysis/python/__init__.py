"""Python dependency analysis: what an image's Python environment contains and what its code imports.

Everything is computed from the model and from files read through ``project.read_text``; nothing is
imported or executed. The modules, from the bottom up:

* :mod:`.requirements` — requirement specifiers and the files that list them (requirements files,
  ``pyproject.toml`` with PEP 621 or Poetry, ``setup.cfg``, a literal ``setup.py``, ``Pipfile``);
* :mod:`.tables` — the packaged tables: import name -> distribution, known dependencies, console
  scripts, the packages of known base images;
* :mod:`.imports` — the imports a Python file runs when it loads (:mod:`ast`);
* :mod:`.commands` — the simple commands of a RUN step, split by :mod:`composelint.analysis.commands`, each
  word with its exact position in the Dockerfile;
* :mod:`.installers` — what those commands install (which commands install at all is decided by
  :func:`composelint.analysis.commands.installs.install_of`, one table shared with the start-command rules);
* :mod:`.builds` — the images a project builds and the files of each build context;
* :mod:`.stagefiles` — each stage's file system: which context file COPY/ADD or a bind mount put at an image
  path;
* :mod:`.install` — :class:`~.install.PythonInstall`, the installed set and its dependency closure;
* :mod:`.stages` — each stage's installs (on its file system), :func:`~.stages.installed_python`;
* :mod:`.missing` — imports no installed distribution provides (CL407).

Rules import the public API from :mod:`composelint.analysis.python_deps`.
"""
