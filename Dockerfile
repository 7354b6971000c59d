# The service: `docker compose up`, or
#   docker build -t consumption . && docker run -p 8000:8000 -v consumption-data:/data consumption
ARG PYTHON_IMAGE=python:3.12-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv UV_LINK_MODE=copy UV_NO_CACHE=1 \
    UV_NATIVE_TLS=1
WORKDIR /src
# uv installs the versions pinned in uv.lock, the ones the tests ran with.
RUN python -m venv /opt/uv && /opt/uv/bin/pip install --quiet uv==0.13.9
COPY pyproject.toml uv.lock README.md ./
COPY consumption ./consumption
# The package and its runtime dependencies only: no test tools in the image.
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-editable --quiet --python "$(command -v python)" \
    && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/venv /opt/venv
# The embedded history (1.4 MB): what an empty database is built from, offline, in seconds.
COPY data/history/ /opt/consumption/history/
# /data is the volume: the SQLite database and RTE's archives. Owned by the
# service's user so that a new named volume is writable from the start.
RUN mkdir -p /data && chown 10001:10001 /data
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    DATABASE_PATH=/data/consumption.sqlite3 \
    HISTORY_DIR=/opt/consumption/history \
    REFRESH_INTERVAL=1h
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
# The start-up path: reuse the database, or build it from the embedded history and
# the files under /data (seconds, no network); then serve, and refresh from RTE in
# the background every REFRESH_INTERVAL.
ENTRYPOINT ["consumption", "serve"]
