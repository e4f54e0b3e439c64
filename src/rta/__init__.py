"""rta: real-time user-behaviour analytics on Kafka, Flink SQL and Pinot."""

__version__ = "0.1.0"

__all__ = ["__version__"]
