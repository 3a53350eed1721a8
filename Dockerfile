# The API and worker image (docker-compose.yml runs api, worker and migrate from it).

# The web client, built from the committed lock and generated types; the API serves client/dist at /.
FROM node:20-bookworm-slim AS client
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_config_fund=false npm_config_audit=false
WORKDIR /client
COPY client/package.json client/package-lock.json ./
RUN npm ci
COPY schema.graphql /schema.graphql
COPY client/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir "uv==0.13.9"

WORKDIR /srv

# Dependencies first, so code changes reuse this layer.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
COPY --from=client /client/dist /srv/client/dist
RUN uv sync --frozen --no-dev \
    && useradd --system --uid 10001 --home-dir /srv app \
    && mkdir -p /srv/data && chown app /srv/data

USER app
EXPOSE 8000

# --no-proxy-headers: the client IP comes from X-Forwarded-For only through TRUSTED_PROXIES
# (app.http.client_identity), not through uvicorn trusting 127.0.0.1 by default.
# --timeout-graceful-shutdown: SIGTERM ends open requests and WebSockets within 5 s (docs/faults.md).
# --no-access-log: the app writes one access line per request, with its request id.
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers", "--no-access-log", "--timeout-graceful-shutdown", "5"]
