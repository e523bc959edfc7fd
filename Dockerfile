# Airlock's image: one image for the worker (`airlock worker`, the default) and the gateway
# (`airlock gateway ...`). Multi-stage: compilers and mypy stay in the build stage; the runtime
# holds the virtualenv (Hyperscan inside its wheel) and the compiled detection database.
#
#   docker build -t airlock:0.1.0 .
#   docker run --rm airlock:0.1.0 --help

FROM python:3.11-slim-bookworm AS build

# A C compiler for the optional accelerator (setup.py: the per-event modules compiled with
# mypyc); Hyperscan itself comes inside the `hyperscan` wheel. Versions pinned to bookworm's.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc=4:12.2.0-3 libc6-dev=2.36-9+deb12u14 \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/airlock/venv
ENV PATH=/opt/airlock/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY airlock airlock
COPY detectors detectors
COPY streams streams
COPY edge edge
COPY schemas schemas
# The project with the accelerator compiled in the same build as its sources (mypy and
# setuptools only for this step).
RUN pip install --no-cache-dir mypy==2.4.1 setuptools==80.9.0 \
    && AIRLOCK_MYPYC=1 pip install --no-cache-dir --no-build-isolation /src \
    && pip uninstall --no-cache-dir -y mypy

# The catalogue's Hyperscan database, compiled now so that a pod loads it in milliseconds. Its
# cache key holds Hyperscan's version and the build machine's CPU platform (tune and feature
# flags): on a node whose CPU differs, the worker compiles it once into its own writable cache
# (the chart seeds an emptyDir from this folder and points AIRLOCK_CACHE_DIR at it).
# (From outside /src: `python -c` imports the installed package, not the source tree.)
WORKDIR /opt/airlock
ENV AIRLOCK_CACHE_DIR=/opt/airlock/cache
RUN python -c "from airlock.config import Settings; from airlock.startup import build_engine; build_engine(Settings())" \
    && ls /opt/airlock/cache/*.hsdb

FROM python:3.11-slim-bookworm

RUN groupadd --system --gid 10001 airlock \
    && useradd --system --uid 10001 --gid airlock --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin airlock

COPY --from=build /opt/airlock/venv /opt/airlock/venv
COPY --from=build --chown=10001:10001 /opt/airlock/cache /opt/airlock/cache

ENV PATH=/opt/airlock/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AIRLOCK_CACHE_DIR=/opt/airlock/cache \
    AIRLOCK_METRICS_HOST=0.0.0.0

USER 10001:10001
WORKDIR /opt/airlock
EXPOSE 9400
ENTRYPOINT ["airlock"]
CMD ["worker"]
