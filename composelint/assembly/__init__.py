"""Model assembly: from the repository's files to the frozen :class:`~composelint.model.Project`.

The flow, in the order the modules run: ``discovery`` (which files there are), ``deployments``
(which compose files are deployed together, and where the repository says so), ``merge`` (each
deployment's files merged as ``docker compose -f a -f b`` merges them), ``linking`` (services to the
Dockerfiles they build), ``created`` (the paths the automation creates) and ``project`` (which
reads the files and builds the model). This package imports nothing itself, so that
``composelint.assembly.discovery`` stays as cheap to import as start-up needs.
"""
