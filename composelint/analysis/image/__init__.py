"""What an image contains, as far as the files tell: the facts behind CL203, CL204, CL401, CL406 and more.

The package follows the questions a rule asks, bottom first (each module imports only those above it
in this list, and :mod:`composelint.analysis.mounts` sits between ``builds`` and ``services``):

* :mod:`.paths` — the three answers (present, absent, unknown) and Docker's path normalisation;
* :mod:`.base` — the base-image table: what a ``FROM`` ships;
* :mod:`.context` — a build context's files, ``.dockerignore`` applied;
* :mod:`.runs` — what a RUN instruction may change;
* :mod:`.model` — :class:`~.model.ImageModel`, one stage's file system and PATH;
* :mod:`.builds` — which Dockerfiles are built in which contexts;
* :mod:`.services` — the container of a service (image plus mounts) and the start commands to check;
* :mod:`.startfiles` — the files a start command needs, and why one is missing.

Import from the module that defines a name: this package re-exports nothing, so that loading one
module (the mount overlay loads :mod:`.model`) does not load the others.
"""
