"""The context's Python code imports a third-party module that no installed requirement provides."""

from __future__ import annotations

from composelint.analysis.python_deps import image_builds, installed_python, missing_imports, runtime_install
from composelint.concerns import refs_for
from composelint.diagnostics import Related
from composelint.records import record
from composelint.rules._rule import Violation, rule


@record(frozen=True, slots=True)
class Options:
    # Extra import-name -> distribution entries, "import=distribution" (the configuration's
    # `python-module-map` says the same thing for the whole project).
    module_map: tuple[str, ...] = ()


def _module_map(options: Options) -> dict[str, str]:
    entries = {}
    for entry in options.module_map:
        module, _, distribution = entry.partition("=")
        if module.strip() and distribution.strip():
            entries[module.strip()] = distribution.strip()
    return entries


@rule(code="CL407", name="missing-python-dependency", severity="error",
      summary="the context's Python code imports a third-party module that no installed requirement provides",
      options=Options)
def check(project, options: Options):
    module_map = _module_map(options)
    for build in image_builds(project):
        services = [service for service in build.services if not runtime_install(project, service)]
        if build.services and not services:
            continue  # the start command installs Python packages at run time (CL201 reports that)
        found = missing_imports(project, build, module_map)
        if not found:
            continue
        install = installed_python(project, build.dockerfile, build.stage, context=build.context)
        manifest = next((m for m in install.manifests if m.endswith((".txt", ".in"))), None) or \
            next(iter(install.manifests), None)
        related = [Related(span, "the image installs its Python requirements here")
                   for span in install.install_spans[:1]]
        if not install.install_spans:
            related.append(Related(build.stage.from_instruction.span, "the image is built from here and installs no "
                                                                      "Python requirements"))
        # The services that build it: the engine's note says "built by service 'api' (compose.yaml:3)".
        concerned = refs_for(project, services, "build")
        subject = f"service '{services[0].name}'" if services else None
        for missing in found:
            where = f"`{manifest}`" if manifest else "the image"
            if missing.known:
                help_text = (f"add `{missing.distribution}` to {where}" if manifest else
                             f"install it in the image: `RUN pip install --no-cache-dir {missing.distribution}`")
            else:
                help_text = (f"add the distribution that provides `{missing.module}` (on PyPI probably "
                             f"`{missing.distribution}`) to {where}; if it is your own code, copy it into the image")
            yield Violation(
                missing.span,
                f"`{missing.module}` is imported but not installed in the image built from "
                f"`{build.dockerfile.path}`: the import raises ModuleNotFoundError",
                help=help_text, related=tuple(related), subject=subject, anchor_text=missing.module,
                services=concerned)
