"""The Flink SQL pipeline: SQL files, their rendering, submission and job control."""
