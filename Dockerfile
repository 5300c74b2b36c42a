# intake as a container. Build from the repository's root:  docker build -t intake:0.1.0 .
# Run (see docs/deploy/README.md; docs/deploy/compose.yaml adds PostgreSQL):
#   docker run -d --name intake --env-file /etc/intake/intake.env \
#     -v intake-data:/data -v /etc/intake/config.toml:/etc/intake/config.toml:ro \
#     -v /etc/intake/rules:/etc/intake/rules:ro intake:0.1.0
# The configuration, the rules and the secrets are mounted, never baked into the image.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Readers intake uses when they are there: Tesseract (scans and phone photos, French, Arabic,
# English) and antiword (Word 97 .doc).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-fra \
       tesseract-ocr-ara tesseract-ocr-eng antiword catdoc \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/intake
COPY pyproject.toml README.md ./
COPY intake ./intake
COPY migrations ./migrations
RUN pip install ".[postgres]"

RUN useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin intake \
    && install -d -m 0700 -o intake -g intake /data

ENV INTAKE_CONFIG=/etc/intake/config.toml INTAKE_RULES_DIR=/etc/intake/rules \
    INTAKE_DATA_DIR=/data
USER intake
VOLUME ["/data"]

# Unhealthy when a person must act: a mailbox that cannot be read, failed messages, an invalid
# rules file (the same problems the nightly report opens with).
HEALTHCHECK --interval=5m --timeout=60s --start-period=2m --retries=2 CMD ["intake", "status"]
# docker stop sends SIGTERM: intake finishes the message in hand and stops within seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["intake"]
CMD ["run"]
