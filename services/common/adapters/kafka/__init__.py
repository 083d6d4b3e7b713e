"""Kafka adapters (aiokafka): the `Log` port on Kafka topics (MSK in production, tansu locally)."""
