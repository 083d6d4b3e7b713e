"""Which adapter implements each port, from configuration (Config.backend).

"embedded" (the default) needs no servers: SQLite files and fsync'd logs under the data
directory, and matching's own event stream. "real" is the production set: the matching journal
and engine events on Kafka, the ledger and users on DynamoDB, book snapshots on Redis; on AWS
they are MSK, DynamoDB and ElastiCache, on one machine `services.devservers` starts local ones.
Switching is configuration, never code: services only see the ports.
"""

from __future__ import annotations

from services.common.config import Config
from services.common.ports import (
    EventSource,
    Ledger,
    Log,
    MarketViewStore,
    SnapshotStore,
    StreamPublisher,
    StreamSubscriber,
    UserStore,
)

BACKENDS = ("embedded", "real")


def _backend(config: Config) -> str:
    if config.backend not in BACKENDS:
        raise ValueError(f"SPOTEX_BACKEND={config.backend!r}: choose one of {', '.join(BACKENDS)}")
    return config.backend


def _table_prefix(config: Config) -> str:
    return f"{config.namespace}-"


def _topic_prefix(config: Config) -> str:
    return f"{config.namespace}."


def open_log(config: Config) -> Log:
    if _backend(config) == "real":
        from services.common.adapters.kafka.log import KafkaLog

        return KafkaLog(config.kafka_bootstrap, config.kafka_partitions, _topic_prefix(config))
    from services.common.adapters.embedded.log import SqliteLog

    return SqliteLog(config.data_dir / "log")


def open_snapshots(config: Config) -> SnapshotStore:
    if _backend(config) == "real":
        from services.common.adapters.redis.snapshots import RedisSnapshotStore

        return RedisSnapshotStore(config.redis_url, f"{config.namespace}:")
    from services.common.adapters.embedded.snapshots import FileSnapshotStore

    return FileSnapshotStore(config.data_dir / "snapshots")


def _create_tables(config: Config) -> bool:
    if config.dynamodb_tables not in ("create", "check"):
        raise ValueError(f"SPOTEX_DYNAMODB_TABLES is 'create' or 'check', not {config.dynamodb_tables!r}")
    return config.dynamodb_tables == "create"


def open_ledger(config: Config) -> Ledger:
    if _backend(config) == "real":
        from services.common.adapters.dynamodb.ledger import DynamoLedger

        local = bool(config.dynamodb_endpoint)
        return DynamoLedger(
            config.dynamodb_endpoint or None, _table_prefix(config), config.aws_region, pitr=not local,
            create_tables=_create_tables(config),
        )
    from services.common.adapters.embedded.ledger import SqliteLedger

    return SqliteLedger(config.data_dir / "ledger.sqlite")


def open_user_store(config: Config) -> UserStore:
    if _backend(config) == "real":
        from services.common.adapters.dynamodb.users import DynamoUserStore

        local = bool(config.dynamodb_endpoint)
        return DynamoUserStore(
            config.dynamodb_endpoint or None, _table_prefix(config), config.aws_region, pitr=not local,
            create_tables=_create_tables(config),
        )
    from services.common.adapters.embedded.users import SqliteUserStore

    return SqliteUserStore(config.data_dir / "users.sqlite")


def event_source(config: Config, consumer: str, *, replica: str = "") -> EventSource:
    """The engine events for `consumer`, whose name keys its Kafka consumer group.

    A consumer of which several replicas each need every event (market data) passes its
    replica's name: replicas sharing a group would overwrite each other's committed offsets.
    """
    if _backend(config) == "real":
        from services.common.adapters.kafka.event_source import KafkaEventSource
        from services.common.catalog import load_catalog

        group = f"{config.namespace}.{consumer}" + (f".{replica}" if replica else "")
        return KafkaEventSource(
            config.kafka_bootstrap,
            _topic_prefix(config),
            config.kafka_partitions,
            group_id=group,
            # only the partitions it needs
            shard_of={symbol.name: symbol.shard for symbol in load_catalog(config).symbols},
        )
    from services.common.adapters.embedded.event_stream import MatchingEventSource

    return MatchingEventSource(config.address("matching"))


def open_market_views(config: Config) -> MarketViewStore | None:
    """Where market data keeps its views across restarts: nowhere with the embedded backends
    (it rebuilds from matching's event log), Redis with the real ones."""
    if _backend(config) != "real":
        return None
    from services.common.adapters.redis.marketdata import RedisMarketViews

    return RedisMarketViews(config.redis_url, f"{config.namespace}:")


def open_stream_publisher(config: Config) -> StreamPublisher | None:
    """Market data's side of the fan-out to edge replicas over Redis; None = gRPC Subscribe only."""
    if not config.fanout_over_redis:
        return None
    from services.common.adapters.redis.fanout import RedisStreamPublisher

    return RedisStreamPublisher(config.redis_url, f"{config.namespace}:")


def open_stream_subscriber(config: Config) -> StreamSubscriber | None:
    """An edge replica's side of that fan-out; None = subscribe to market data over gRPC."""
    if not config.fanout_over_redis:
        return None
    from services.common.adapters.redis.fanout import RedisStreamSubscriber

    return RedisStreamSubscriber(config.redis_url, f"{config.namespace}:")
