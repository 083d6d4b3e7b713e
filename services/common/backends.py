"""Which adapter implements each port, from configuration (Config.backend).

"embedded" (the default) needs no servers: SQLite files and fsync'd logs under the data
directory, and matching's own event stream. "real" (Redis, Kafka, DynamoDB) is the
production set, built in its own issue; switching is configuration, never code.
"""

from __future__ import annotations

from services.common.config import Config
from services.common.ports import EventSource, Ledger, Log, SnapshotStore, UserStore


def _embedded_only(config: Config) -> None:
    if config.backend != "embedded":
        raise NotImplementedError(f"backend {config.backend!r} is not available yet; use SPOTEX_BACKEND=embedded")


def open_log(config: Config) -> Log:
    _embedded_only(config)
    from services.common.adapters.embedded.log import SqliteLog

    return SqliteLog(config.data_dir / "log")


def open_snapshots(config: Config) -> SnapshotStore:
    _embedded_only(config)
    from services.common.adapters.embedded.snapshots import FileSnapshotStore

    return FileSnapshotStore(config.data_dir / "snapshots")


def open_ledger(config: Config) -> Ledger:
    _embedded_only(config)
    from services.common.adapters.embedded.ledger import SqliteLedger

    return SqliteLedger(config.data_dir / "ledger.sqlite")


def open_user_store(config: Config) -> UserStore:
    _embedded_only(config)
    from services.common.adapters.embedded.users import SqliteUserStore

    return SqliteUserStore(config.data_dir / "users.sqlite")


def event_source(config: Config) -> EventSource:
    _embedded_only(config)
    from services.common.adapters.embedded.event_stream import MatchingEventSource

    return MatchingEventSource(config.address("matching"))
