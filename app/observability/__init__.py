"""Seeing the service run: Prometheus metrics (metrics), structured logs with one request id
(logging), OpenTelemetry traces (tracing). README "Operating it" and docs/operations.md."""
