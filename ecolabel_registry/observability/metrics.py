"""Prometheus metrics, one registry per application (so each test's app, and each process, counts alone).

Request counters and latency histograms are per process: with several API processes Prometheus scrapes
each one and sums them (`sum by (route)`). The log size and the outbox depth are read from the database
at scrape time, so every process reports the same, registry-wide value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import Request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Scope

from ecolabel_registry.db.models import OutboxDelivery, WebhookCursor
from ecolabel_registry.errors import RegistryError
from ecolabel_registry.integrity import state as integrity_state
from ecolabel_registry.log import repository as log_repository
from ecolabel_registry.replicas import ReadRouting

# The exposition format the library writes (text format 0.0.4, which every Prometheus server reads).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Latency buckets from 1 ms to 10 s: lookups answer in milliseconds, batches of 1,000 in about a second.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_outbox = OutboxDelivery.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ on table classes
_cursor = WebhookCursor.__table__  # type: ignore[attr-defined]


class _DatabaseGauges(Collector):
    """Gauges read from the database when scraped; a scrape never fails because the database did."""

    def __init__(self, engine: Callable[[], Engine | None]) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        engine = self._engine()
        if engine is None:  # before the lifespan has built the engine
            return
        up = GaugeMetricFamily("ecolabel_database_up", "1 if the database answered this scrape, else 0")
        try:
            with engine.connect() as connection:
                tree_size = log_repository.read_head(connection).tree_size
                pending = connection.execute(
                    select(func.count()).select_from(_outbox).where(_outbox.c.state == "pending")
                ).scalar_one()
                matched_to = connection.execute(select(_cursor.c.next_leaf_index)).scalar_one()
                integrity = integrity_state.read(connection)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("ecolabel_log_tree_size", "Leaves in the transparency log", value=tree_size)
        yield GaugeMetricFamily("ecolabel_outbox_depth", "Webhook deliveries waiting to be sent", value=pending)
        yield GaugeMetricFamily(
            "ecolabel_webhook_unmatched_leaves",
            "Log leaves the webhook worker has not matched against subscriptions yet",
            value=max(tree_size - matched_to, 0),
        )
        yield GaugeMetricFamily(
            "ecolabel_integrity_divergence",
            "1 while a divergence between the tables and a replay of the log is recorded (fsck), else 0",
            value=int(integrity.divergence is not None),
        )
        yield GaugeMetricFamily(
            "ecolabel_integrity_verified_tree_size",
            "Leaves of the log the tables were last found equal to a replay of (fsck)",
            value=integrity.verified_tree_size,
        )


class _ReplicaGauges(Collector):
    """Each replica's lag and tree size as last measured (by the checker thread), and reads per database."""

    def __init__(self, reads: Callable[[], ReadRouting | None]) -> None:
        self._reads = reads

    def collect(self) -> Iterator[Metric]:
        reads = self._reads()
        if reads is None:
            return
        families = {
            "up": GaugeMetricFamily(
                "ecolabel_replica_up", "1 if the replica answered its last check", labels=["replica"]
            ),
            "rotation": GaugeMetricFamily(
                "ecolabel_replica_in_rotation",
                "1 if the replica serves reads (a standby within the lag)",
                labels=["replica"],
            ),
            "lag": GaugeMetricFamily(
                "ecolabel_replica_lag_seconds",
                "How far behind the primary the replica is, in seconds",
                labels=["replica"],
            ),
            "size": GaugeMetricFamily("ecolabel_replica_tree_size", "Leaves in the replica's log", labels=["replica"]),
            "behind": GaugeMetricFamily(
                "ecolabel_replica_tree_size_lag",
                "Leaves the primary's log has that the replica's lacks",
                labels=["replica"],
            ),
        }
        for status in reads.statuses():
            families["up"].add_metric([status.name], 1 if status.reachable else 0)
            families["rotation"].add_metric([status.name], 1 if status.in_rotation else 0)
            for key, value in (
                ("lag", status.lag_seconds),
                ("size", status.tree_size),
                ("behind", status.tree_size_lag),
            ):
                if value is not None:
                    families[key].add_metric([status.name], value)
        yield from families.values()
        served = CounterMetricFamily(
            "ecolabel_database_reads",
            "Read-only requests served, by database (primary or replica)",
            labels=["database"],
        )
        for database, count in sorted(reads.served.items()):
            served.add_metric([database], count)
        yield served


class RegistryMetrics:
    def __init__(
        self, engine: Callable[[], Engine | None], reads: Callable[[], ReadRouting | None] = lambda: None
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ecolabel_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ecolabel_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rejections = Counter(
            "ecolabel_submissions_rejected",
            "Submitted documents refused (4xx on a POST, or a rejected batch item), by route and reason code",
            ["route", "reason"],
            registry=self.registry,
        )
        self.registry.register(_DatabaseGauges(engine))
        self.registry.register(_ReplicaGauges(reads))
        # The counter's and the histogram's children for each (method, route, status) seen: `labels()`
        # validates, locks and builds the label tuple on every call, the same work for every request.
        # The children are the library's own, kept by it as long as these; no more label sets than
        # the library already holds (route templates are bounded, see `route_template`).
        self._observers: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        observers = self._observers.get(key)
        if observers is None:
            observers = self._observers[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        observers[0].inc()
        observers[1].observe(seconds)

    def reject(self, route: str, error: RegistryError) -> None:
        # The finer code where there is one (SIGNING_KEY_RETIRED), else the problem type's slug.
        code = error.extensions.get("code")
        self.rejections.labels(route, code if isinstance(code, str) else error.slug).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/certificates/{certificate_id}`): bounded label values."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def count_rejection(request: Request, error: RegistryError) -> None:
    """Count a refused submission: a client error (4xx) answering a POST, on apps that keep metrics."""
    metrics: RegistryMetrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None and request.method == "POST" and 400 <= error.status < 500:
        metrics.reject(route_template(request.scope), error)
