# Nutmeg's image: the API (`nutmeg serve`) and the harvest worker (`nutmeg worker`) run from it; see
# docker-compose.yml and docs/deployment.md. Built in two stages so no compiler or cache ships.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY catalog_api catalog_api
COPY harvesters harvesters
COPY mappings mappings
COPY index index
# the postgres and elasticsearch extras: psycopg, elasticsearch, opensearch-py
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[postgres,elasticsearch]"

FROM python:3.12-slim
RUN useradd --system --uid 10001 --create-home --home-dir /srv/nutmeg nutmeg
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER nutmeg
WORKDIR /srv/nutmeg
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["nutmeg", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
