"""Apache Pinot: table definitions, the admin calls that create them, and queries."""
