# intake as a service: `docker run -v intake-data:/data -v ./rules:/app/rules -v ./config.toml:/app/config.toml intake`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    INTAKE_DATA_DIR=/data INTAKE_RULES_DIR=/app/rules

WORKDIR /app
COPY pyproject.toml README.md ./
COPY intake ./intake
COPY migrations ./migrations
RUN pip install ".[postgres]"
COPY rules ./rules

RUN useradd --system --create-home --home-dir /home/intake --uid 10001 intake \
    && mkdir -p /data && chown intake:intake /data && chmod 0700 /data
USER intake
VOLUME ["/data"]

# Stops cleanly on SIGTERM (docker stop) after the message in hand.
CMD ["intake", "run"]
