"""Which compose files are deployed together, and where the repository says so.

A deployment is what one ``docker compose`` command runs: an ordered list of files merged as
``docker compose -f a -f b`` merges them (:mod:`composelint.assembly.merge`), the profiles it enables,
its env files and its project directory. They are found, in this order:

1. ``deployments:`` in the configuration. When the configuration lists deployments, they are
   the only ones: an explicit list beats inference.
2. ``COMPOSE_FILE`` (split on ``COMPOSE_PATH_SEPARATOR``, default ``:``) and
   ``COMPOSE_PROFILES`` in a directory's ``.env``: what ``docker compose up`` runs there.
3. ``docker compose`` / ``docker-compose`` invocations in the repository's own automation:
   Makefiles and ``*.mk`` (variables defined in the same Makefile are expanded), shell
   scripts, justfiles, ``Taskfile.yml``, GitHub workflows, ``.gitlab-ci.yml`` and
   ``package.json`` scripts. Their ``-f/--file``, ``--profile``, ``--env-file``,
   ``--project-directory`` and ``-p`` are read; an argument that holds a variable
   composelint cannot expand is kept symbolic and reported, never guessed. An invocation
   without ``-f`` runs what ``docker compose`` finds in its directory (``COMPOSE_FILE`` of
   the ``.env`` there, else the default files). ``COMPOSE_FILE``, ``COMPOSE_PROFILES`` and
   ``COMPOSE_ENV_FILES`` are read where they are set for it: a ``VAR=… docker compose``
   prefix, an ``export`` earlier in the script, a workflow's ``env:`` (workflow, job or
   step) or GitLab's ``variables:``. A script's ``cd``/``pushd``/``popd`` are followed from
   every directory it may be run from (its own, or one above), keeping those where the
   directory exists. ``docker stack deploy -c FILE… STACK`` is a Swarm deployment
   (``orchestrator="swarm"``): the same merge of its files, under Swarm's semantics.
   ``-f -`` (standard input) names nothing of the repository and is not a missing file.
4. Documented commands that start a deployment (``up``, ``run``, ``config``, ``docker stack
   deploy`` …): the shell blocks of Markdown files — any ``README``, the ``docs/`` tree,
   Markdown beside a compose file — read like a script (see :func:`document_units`). A documented command counts only when every file it names
   exists (or, without ``-f``, its directory has a compose file): documentation shows
   examples to adapt, so it never yields CL008.
5. The defaults: in each directory with ``compose.yaml`` (``compose.yml``,
   ``docker-compose.yml``, ``docker-compose.yaml``), that file and its override file, as
   ``docker compose up`` there runs them — but only for a base file that no deployment found
   above already includes. A repository whose Makefile runs ``docker compose -f
   docker-compose.yml -f docker-compose.prod.yml up`` is deployed that way; assuming a plain
   ``docker compose up`` there as well would report the same services twice with different
   settings.

Identical deployments (same files, profiles, env files, project directory and orchestrator)
found twice count once, at the first place they were found.

This package parses what it is given; :mod:`composelint.assembly.project` reads the files and builds the
merged model of each deployment. It also answers, for the rules, which compose files no
deployment includes (:func:`undeployed_files`).

Modules: ``requests`` (the request and plan types, and the small sources: configuration,
``.env``, default files), ``invocations`` (a ``docker compose`` command's words), ``units``,
``makefiles``, ``automation`` and ``documents`` (the shell that files run, read with
:mod:`composelint.analysis.commands`), ``planner`` (requests to plans, in order of
precedence), ``deployed`` (what the deployments run, for the rules). What the rest of
composelint uses is imported here.
"""

from composelint.assembly.deployments.automation import automation_requests, automation_units, written_files
from composelint.assembly.deployments.deployed import (deployed_files, env_file_entries, resolved_environment,
                                                       undeployed_files)
from composelint.assembly.deployments.documents import document_units, is_document_path
from composelint.assembly.deployments.invocations import find_invocations
from composelint.assembly.deployments.planner import name_plans, plan_deployments
from composelint.assembly.deployments.requests import DEFAULT_BASES, Plan, Request, mentions_deployment
from composelint.assembly.deployments.units import Unit, unit_from_text

__all__ = ["DEFAULT_BASES", "Plan", "Request", "Unit", "automation_requests", "automation_units", "deployed_files",
           "document_units", "env_file_entries", "find_invocations", "is_document_path", "mentions_deployment",
           "name_plans", "plan_deployments", "resolved_environment", "undeployed_files", "unit_from_text",
           "written_files"]
