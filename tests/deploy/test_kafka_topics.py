"""k8s/base/kafka_topics.py, the init step of every pod that uses Kafka, run as the pods run it
against a real broker (the session's tansu): it creates both engine topics with the configured
partition count, and running it again (the next pod) changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from aiokafka import AIOKafkaConsumer

from tests.deploy.manifests import K8S, ROOT
from tests.servers import real_servers


def _run_init(bootstrap: str, namespace: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SPOTEX_KAFKA_BOOTSTRAP": bootstrap,
        "SPOTEX_KAFKA_PARTITIONS": "3",
        "SPOTEX_NAMESPACE": namespace,
    }
    result = subprocess.run(
        [sys.executable, str(K8S / "base" / "kafka_topics.py")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr


async def test_the_init_step_creates_the_engine_topics_once() -> None:
    bootstrap = real_servers().kafka_bootstrap
    namespace = f"deploy{uuid.uuid4().hex[:8]}"
    _run_init(bootstrap, namespace)
    _run_init(bootstrap, namespace)  # every pod runs it: the second finds the topics
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        topics = await consumer.topics()
        for topic in ("engine.commands", "engine.events"):
            name = f"{namespace}.{topic}"
            assert name in topics
            assert consumer.partitions_for_topic(name) == {0, 1, 2}
    finally:
        await consumer.stop()
