"""The event contract as Flink SQL, generated from its JSON Schema.

The Pydantic models in `rta.events` are the one definition of a valid event. The
pipeline must leave out exactly the records those models reject, whichever producer
wrote them, so its filter is not written by hand: `violation_sql()` walks the JSON
Schema (`rta schema`) and renders one SQL CASE expression that yields NULL for a
valid record and `field: why` for the first rule it breaks.

What the SQL sees is what Flink's JSON format decoded. Two things it cannot see, and
the contract therefore does not forbid: a JSON null in a field of another event type
(it decodes like an absent field) and names that are not seed fields at all (the
format skips them). One thing it cannot see that the contract does forbid: the JSON
type of a value, because the format coerces ("9.99" decodes as 9.99, 42 as "42");
rta's own producers reject those (docs/pipeline.md, "One contract").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rta.events import TIMESTAMP_PATTERN, UUID_PATTERN, event_json_schema

__all__ = ["UNDECODABLE_REASON", "ContractRules", "FieldRule", "contract_rules", "violation_sql"]

# The reason for records that are not JSON at all (the pipeline sees them as gaps).
UNDECODABLE_REASON = "event: not valid JSON"


@dataclass(frozen=True)
class FieldRule:
    name: str
    json_type: str  # "string", "number" or "integer"
    min_length: int | None = None
    minimum: float | None = None
    pattern: str | None = None
    format: str | None = None

    @property
    def sql_type(self) -> str:
        # Integers are read as DOUBLE so that a fraction (2.5) is seen, not truncated.
        return "STRING" if self.json_type == "string" else "DOUBLE"


@dataclass(frozen=True)
class ContractRules:
    event_types: tuple[str, ...]
    base: tuple[FieldRule, ...]
    specific: dict[str, tuple[FieldRule, ...]]  # event type -> its own required fields

    @property
    def all_fields(self) -> tuple[FieldRule, ...]:
        seen: dict[str, FieldRule] = {f.name: f for f in self.base}
        for rules in self.specific.values():
            for rule in rules:
                seen.setdefault(rule.name, rule)
        return tuple(seen.values())

    def foreign(self, event_type: str) -> tuple[str, ...]:
        """Fields of other event types, which this type must not carry."""
        own = {f.name for f in (*self.base, *self.specific[event_type])}
        return tuple(f.name for f in self.all_fields if f.name not in own)


def _rule(name: str, prop: dict[str, Any]) -> FieldRule:
    json_type = prop.get("type")
    if json_type not in ("string", "number", "integer"):
        raise ValueError(f"contract field {name}: type {json_type!r} has no SQL rule")
    return FieldRule(
        name,
        json_type,
        min_length=prop.get("minLength"),
        minimum=prop.get("minimum"),
        pattern=prop.get("pattern"),
        format=prop.get("format"),
    )


def contract_rules(schema: dict[str, Any] | None = None) -> ContractRules:
    """The rules of the event union's JSON Schema, base fields first."""
    schema = schema or event_json_schema()
    mapping = schema["discriminator"]["mapping"]
    tag = schema["discriminator"]["propertyName"]
    defs = {etype: schema["$defs"][ref.rsplit("/", 1)[1]] for etype, ref in mapping.items()}
    required = {etype: [n for n in d["required"] if n != tag] for etype, d in defs.items()}
    # Base fields: required by every event type, in the schema's own order.
    first = next(iter(required.values()))
    base_names = [n for n in first if all(n in r for r in required.values())]
    any_def = next(iter(defs.values()))
    base = tuple(_rule(n, any_def["properties"][n]) for n in base_names)
    specific = {
        etype: tuple(_rule(n, defs[etype]["properties"][n]) for n in names if n not in base_names)
        for etype, names in required.items()
    }
    return ContractRules(tuple(mapping), base, specific)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _java_pattern(pattern: str) -> str:
    # Java's '$' also matches before a final line break ("uuid\n"); '\z' does not.
    return pattern[:-1] + r"\z" if pattern.endswith("$") else pattern


def _calendar_ok(col: str) -> str:
    """The day exists in its month (the pattern allows 31 everywhere) and the year is not 0."""
    year = f"CAST(SUBSTR({col}, 1, 4) AS INT)"
    leap = f"(MOD({year}, 4) = 0 AND (MOD({year}, 100) <> 0 OR MOD({year}, 400) = 0))"
    days = (
        f"CASE SUBSTR({col}, 6, 2) WHEN '02' THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
        "WHEN '04' THEN 30 WHEN '06' THEN 30 WHEN '09' THEN 30 WHEN '11' THEN 30 ELSE 31 END"
    )
    return f"SUBSTR({col}, 1, 4) <> '0000' AND CAST(SUBSTR({col}, 9, 2) AS INT) <= {days}"


# rta's SQL functions (jvm/flink/src/main/java/dev/rta/flink, registered in
# 15-functions.sql): hand-written checks of the contract's two patterns. The check runs
# twice per record on the source's thread (watermark and projection), where REGEXP,
# UNIX_TIMESTAMP's SimpleDateFormat and SUBSTR took over half of that thread's time.
# A function stands in for its pattern only while the schema's pattern is exactly the
# one it was written for; any other pattern is checked with REGEXP.
_PATTERN_FUNCTIONS = {UUID_PATTERN: "RTA_IS_UUID", TIMESTAMP_PATTERN: "RTA_IS_RFC3339"}
# NULL unless the timestamp has the pattern's layout and names a day that exists: the
# calendar check here, and the event time in 20-tables.sql.
_EPOCH_MS_FUNCTION = "RTA_EPOCH_MS"


_FORMAT_WORDS = {
    "uuid": "must be a UUID in canonical lowercase form",
    "date-time": "must be an RFC 3339 timestamp with an offset",
}


def _checks(rule: FieldRule, functions: bool) -> list[tuple[str, str]]:
    """(condition that breaks the rule, reason) pairs, in the order they are tried."""
    col = rule.name
    missing = "is missing" if rule.json_type == "string" else "is missing or not a number"
    checks = [(f"{col} IS NULL", f"{col}: {missing}")]
    if rule.min_length == 1:
        # Cheaper than CHAR_LENGTH, which decodes the UTF-8 bytes to count characters.
        checks.append((f"{col} = ''", f"{col}: must not be empty"))
    elif rule.min_length:
        checks.append((f"CHAR_LENGTH({col}) < {rule.min_length}", f"{col}: must not be empty"))
    if rule.pattern:
        words = _FORMAT_WORDS.get(rule.format or "", f"must match {rule.pattern}")
        function = _PATTERN_FUNCTIONS.get(rule.pattern) if functions else None
        matches = (
            f"{function}({col})"
            if function
            else f"REGEXP({col}, {_quote(_java_pattern(rule.pattern))})"
        )
        checks.append((f"NOT {matches}", f"{col}: {words}"))
    if rule.format == "date-time" and not functions:
        checks.append((f"NOT ({_calendar_ok(col)})", f"{col}: not a valid calendar date"))
    elif rule.format == "date-time":
        if rule.pattern != TIMESTAMP_PATTERN:
            # The event time is RTA_EPOCH_MS's reading of this one layout.
            raise ValueError(
                f"contract field {col}: date-time pattern {rule.pattern!r} is not the one "
                f"{_EPOCH_MS_FUNCTION} reads (rta.events.TIMESTAMP_PATTERN)"
            )
        checks.append((f"{_EPOCH_MS_FUNCTION}({col}) IS NULL", f"{col}: not a valid calendar date"))
    if rule.minimum is not None:
        checks.append((f"{col} < {rule.minimum:g}", f"{col}: must be >= {rule.minimum:g}"))
    if rule.json_type == "integer":
        checks.append((f"{col} <> FLOOR({col})", f"{col}: must be a whole number"))
    return checks


def violation_sql(
    rules: ContractRules | None = None, indent: str = "    ", *, functions: bool = True
) -> str:
    """A SQL CASE: NULL for a record the contract accepts, else 'field: why'.

    With functions=False, the ids and timestamps are checked with REGEXP and SQL's
    string functions only (no rta jar on Flink's classpath): what the pipeline ran
    before rta's functions, kept for bench/source.py to measure against.

    The rules of each event type sit in their own inner CASE, chosen by event_type,
    so a record is tested against its own type's rules only. The expression runs
    twice per record on the pipeline's hottest path (the source's watermark and its
    projection), and the flat form, with every type's rules in one list, cost about
    three times as many comparisons for a valid record."""
    rules = rules or contract_rules()
    base_names = [f.name for f in rules.base]
    types = ", ".join(_quote(t) for t in rules.event_types)
    whens: list[tuple[str, str]] = [
        # An undecodable record reaches SQL as a row of NULLs.
        (
            " AND ".join(f"{n} IS NULL" for n in [*base_names, "event_type"]),
            "event: not a JSON object with event fields",
        ),
        ("event_type IS NULL", "event_type: is missing"),
        (
            f"event_type NOT IN ({types})",
            f"event_type: must be one of {', '.join(rules.event_types)}",
        ),
    ]
    for rule in rules.base:
        whens += _checks(rule, functions)
    inner = indent + "  "
    by_type: list[str] = []
    for etype in rules.event_types:
        own = [c for rule in rules.specific[etype] for c in _checks(rule, functions)]
        own += [
            (f"{name} IS NOT NULL", f"{name}: is not a field of {etype}")
            for name in rules.foreign(etype)
        ]
        body = "\n".join(f"{inner}  WHEN {cond} THEN {_quote(why)}" for cond, why in own)
        by_type.append(f"{inner}WHEN event_type = {_quote(etype)} THEN CASE\n{body}\n{inner}END")
    lines = [f"{indent}WHEN {cond} THEN {_quote(why)}" for cond, why in whens]
    lines.append(f"{indent}ELSE CASE\n" + "\n".join(by_type) + f"\n{indent}END")
    return "CASE\n" + "\n".join(lines) + f"\n{indent[:-2]}END"
