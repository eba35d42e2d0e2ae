# composelint in a container: docker build -t composelint . && docker run --rm -v "$PWD:/src" composelint
# The base is pinned to a patch release; bump it deliberately (composelint's CL403 checks this file too).
FROM python:3.12.8-slim-bookworm AS build
WORKDIR /build
COPY pyproject.toml README.md ./
COPY composelint ./composelint
COPY rules ./rules
RUN python -m venv /opt/composelint \
    && /opt/composelint/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.12.8-slim-bookworm
COPY --from=build /opt/composelint /opt/composelint
# A fixed numeric user: files composelint reads stay readable, and it can never write as root.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin composelint
USER 10001
ENV PATH=/opt/composelint/bin:$PATH \
    COMPOSELINT_NO_CACHE=1
WORKDIR /src
ENTRYPOINT ["composelint"]
CMD ["check", "."]
