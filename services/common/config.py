"""Configuration of every process, from environment variables with safe local defaults.

All state lives under one data directory (SPOTEX_DATA_DIR, default ./data in the checkout):
deleting it starts the exchange afresh. Secrets are generated there on first start.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORTS = {
    "user": 50051,
    "order": 50052,
    "matching": 50053,
    "marketdata": 50054,
    "tradeproc": 50055,
    "edge": 8080,
}


@dataclass(frozen=True)
class Secrets:
    jwt_key: str  # HS256 key for session tokens
    api_secret_key: str  # Fernet key that encrypts API secrets at rest
    admin_token: str  # bearer token for admin-only calls (deposits, withdrawals, tradectl)

    @classmethod
    def load_or_create(cls, path: Path) -> Secrets:
        if path.exists():
            return cls(**json.loads(path.read_text()))
        from cryptography.fernet import Fernet

        created = cls(
            jwt_key=secrets.token_urlsafe(48),
            api_secret_key=Fernet.generate_key().decode(),
            admin_token=secrets.token_urlsafe(32),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(created.__dict__))
        tmp.chmod(0o600)
        tmp.replace(path)
        return created


@dataclass(frozen=True)
class Config:
    data_dir: Path
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    backend: str = "embedded"  # "embedded" or "real" (Redis + Kafka + DynamoDB)
    maker_fee_ppm: int = 1000  # 0.1%, Binance's default spot rate
    taker_fee_ppm: int = 1000
    dev_mode: bool = True  # enables the faucet deposit endpoint on the edge
    metrics: bool = True  # each service serves Prometheus metrics on its port + 1000
    # The "real" backend set: where Redis, Kafka and DynamoDB answer (ElastiCache, MSK and
    # DynamoDB on AWS; `services.devservers` starts local ones). `namespace` prefixes every
    # topic, table and key, so several exchanges (or test runs) can share one set of servers.
    redis_url: str = "redis://127.0.0.1:6379/0"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = 8  # of each engine topic; a symbol's shard is its partition
    dynamodb_endpoint: str = ""  # "" = AWS's regional endpoint; a URL for moto or DynamoDB Local
    # "create": the services create missing tables at start; "check": they only check that the
    # tables are there as specified (Terraform owns them, and the role may not CreateTable)
    dynamodb_tables: str = "create"
    aws_region: str = "us-east-1"
    namespace: str = "spotex"
    ws_fanout: str = ""  # "grpc" or "redis" (how edge replicas get market streams); "" = by backend
    markets_file: str = ""  # TOML listing assets and trading pairs (docs/markets.md); "" = the demo catalog

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        ports = dict(DEFAULT_PORTS)
        for name in ports:
            value = env.get(f"SPOTEX_{name.upper()}_PORT")
            if value:
                ports[name] = int(value)
        return cls(
            data_dir=Path(env.get("SPOTEX_DATA_DIR", Path.cwd() / "data")).resolve(),
            host=env.get("SPOTEX_HOST", "127.0.0.1"),
            ports=ports,
            backend=env.get("SPOTEX_BACKEND", "embedded"),
            maker_fee_ppm=int(env.get("SPOTEX_MAKER_FEE_PPM", 1000)),
            taker_fee_ppm=int(env.get("SPOTEX_TAKER_FEE_PPM", 1000)),
            dev_mode=env.get("SPOTEX_DEV_MODE", "1") == "1",
            metrics=env.get("SPOTEX_METRICS", "1") == "1",
            redis_url=env.get("SPOTEX_REDIS_URL", cls.redis_url),
            kafka_bootstrap=env.get("SPOTEX_KAFKA_BOOTSTRAP", cls.kafka_bootstrap),
            kafka_partitions=int(env.get("SPOTEX_KAFKA_PARTITIONS", cls.kafka_partitions)),
            dynamodb_endpoint=env.get("SPOTEX_DYNAMODB_ENDPOINT", cls.dynamodb_endpoint),
            dynamodb_tables=env.get("SPOTEX_DYNAMODB_TABLES", cls.dynamodb_tables),
            aws_region=env.get("SPOTEX_AWS_REGION", cls.aws_region),
            namespace=env.get("SPOTEX_NAMESPACE", cls.namespace),
            ws_fanout=env.get("SPOTEX_WS_FANOUT", cls.ws_fanout),
            markets_file=str(Path(env["SPOTEX_MARKETS_FILE"]).resolve()) if env.get("SPOTEX_MARKETS_FILE") else "",
        )

    @property
    def fanout_over_redis(self) -> bool:
        """Market streams reach edge replicas over Redis pub/sub (the real backends' way, or
        chosen alone with SPOTEX_WS_FANOUT=redis to measure it beside embedded backends)."""
        return self.ws_fanout == "redis" or (self.ws_fanout == "" and self.backend == "real")

    def address(self, service: str) -> str:
        return f"{self.host}:{self.ports[service]}"

    def metrics_port(self, service: str) -> int | None:
        return self.ports[service] + 1000 if self.metrics else None

    def secrets(self) -> Secrets:
        return Secrets.load_or_create(self.data_dir / "secrets.json")
