"""Create the engine topics (`<namespace>.engine.commands`, `<namespace>.engine.events`) with
MSK's durability settings, before any service touches them.

Runs as the first init container of every pod that uses Kafka (matching, tradeproc,
marketdata). The services' own Kafka adapter also creates a missing topic, but with replication
factor 1 (right for the single local broker, wrong for MSK); whoever creates a topic first
decides its settings, so this step must win, and an init container in the same pod always runs
before the app. Idempotent: existing topics are left alone (their partition count is checked).
"""

import asyncio
import os

from services.common.adapters.kafka.log import MSK_TOPIC_CONFIGS, KafkaLog

REPLICATION_FACTOR = 3  # with min.insync.replicas=2 and acks=all: survives one broker lost


async def main() -> None:
    log = KafkaLog(
        os.environ["SPOTEX_KAFKA_BOOTSTRAP"],
        os.environ.get("SPOTEX_KAFKA_PARTITIONS", "8"),
        os.environ.get("SPOTEX_NAMESPACE", "spotex") + ".",
        replication_factor=REPLICATION_FACTOR,
        topic_configs=MSK_TOPIC_CONFIGS,
    )
    try:
        await log.ensure_topics("engine.commands", "engine.events")
    finally:
        await log.close()


if __name__ == "__main__":
    asyncio.run(main())
