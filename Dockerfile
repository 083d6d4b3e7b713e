# syntax=docker/dockerfile:1
# The one image every spotex process runs from (k8s/base: `python -m services.<name>`,
# `python -m edge`). Build: docker build -t spotex:0.1.0 .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: compile the Cython engine and install the pinned dependencies into a venv --------
FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/spotex
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY engine_ext ./engine_ext
COPY exchange ./exchange
COPY services ./services
COPY edge ./edge
# A regular (not editable) install: pyproject's build-system pins Cython and setuptools, and
# setup.py compiles engine_ext/*.pyx in release mode (-O3) into site-packages.
RUN /opt/spotex/bin/pip install . \
    && /opt/spotex/bin/python -c "import engine_ext.book"

# -- runtime: the venv only, no compiler, not root -------------------------------------------
FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 spotex \
    && useradd --uid 10001 --gid spotex --no-create-home --home-dir /var/lib/spotex spotex \
    && mkdir -p /var/lib/spotex \
    && chown spotex:spotex /var/lib/spotex
COPY --from=build /opt/spotex /opt/spotex
ENV PATH=/opt/spotex/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SPOTEX_DATA_DIR=/var/lib/spotex \
    SPOTEX_HOST=0.0.0.0
WORKDIR /var/lib/spotex
USER 10001:10001
# Kubernetes names the process (k8s/base); alone, the image runs the edge.
CMD ["python", "-m", "edge"]
