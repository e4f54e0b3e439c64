# syntax=docker/dockerfile:1
# The rta command line: runs the one-shot set-up (`rta stack up` against the compose
# services) and the generator. Built from the repository root (context ..), with
# rta.Dockerfile.dockerignore keeping .venv, .cache and state out of the context.
# PYTHON_VERSION's default matches requires-python in pyproject.toml (checked by
# tests/unit/test_compose.py).
ARG PYTHON_VERSION=3.11.13
FROM python:${PYTHON_VERSION}-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
# The pinned runtime dependencies from pyproject.toml; no JVM, no Flink wheel: in the
# image rta only talks to the engines over their APIs.
RUN pip install . && rm -rf /build

RUN useradd --create-home --uid 10001 rta
USER rta
WORKDIR /home/rta
ENTRYPOINT ["rta"]
CMD ["--help"]
