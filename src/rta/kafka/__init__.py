"""Kafka plumbing shared by every producer and consumer in rta."""
