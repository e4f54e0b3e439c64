"""What the collector's schemathesis tests share, in process and against the real process:
the checks the OpenAPI document is exact enough for, and how an NDJSON body is sent."""

from __future__ import annotations

import schemathesis
from schemathesis import checks

__all__ = ["CONFORMANCE", "FUZZ_EXAMPLES"]

# The document describes an NDJSON body as a string (its lines are events), and
# schemathesis sends no body for a media type it has no serializer for: send the
# string as UTF-8, as it does text/plain.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

# Every answer is one the document lists, with its media type, body schema and headers.
# Not negative_data_rejection nor positive_data_acceptance: the collector takes part of
# a batch on purpose (200 with the invalid events listed), and the event contract is
# stricter than JSON Schema can say (a calendar check on dates, no 1.0 for an integer).
CONFORMANCE = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]

# Per operation, on top of the coverage phase's cases (which schemathesis runs in full).
FUZZ_EXAMPLES = 60
