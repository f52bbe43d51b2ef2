# StoreBridge: `docker build -t storebridge .` then run with the environment of
# README "Running it for real" and the config mounted at /config/storebridge.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000 \
    STOREBRIDGE_CONFIG=/config/storebridge.yml \
    STOREBRIDGE_DB=/data/storebridge.db \
    LOG_FORMAT=json

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY connectors ./connectors
RUN pip install --no-cache-dir --no-deps . \
    && groupadd --system --gid 10001 storebridge \
    && useradd --system --uid 10001 --gid 10001 --no-create-home storebridge \
    && mkdir -p /data /config \
    && chown storebridge:storebridge /data

USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000

# /healthz answers 503 only when the database is unusable (see README).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

CMD ["storebridge", "run"]
