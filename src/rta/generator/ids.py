"""Cheap, seeded identifiers. `uuid.uuid4()` reads os.urandom and builds a UUID
object per call; formatting bits from a seeded Random is several times faster
and keeps a seeded run reproducible."""

from __future__ import annotations

from random import Random

__all__ = [
    "EVENT_ID_MID",
    "VERSION_CLEAR",
    "VERSION_SET",
    "VISIT_BITS",
    "uuid4_str",
    "visit_ids",
]

VERSION_CLEAR = ~((0xF << 76) | (0x3 << 62))
VERSION_SET = (0x4 << 76) | (0x2 << 62)  # version 4, RFC 4122 variant


def uuid4_str(rnd: Random) -> str:
    """A random version-4 UUID in canonical lowercase form, drawn from `rnd`."""
    h = "%032x" % ((rnd.getrandbits(128) & VERSION_CLEAR) | VERSION_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# A visit's ids come from one draw of VISIT_BITS random bits, rendered as 52 hex
# digits: the first 32 are its session id (a random version-4 UUID), the other 20
# begin its events' ids. An event id is
#     20 random hex digits - 9 hex digits of the visit's number - 3 of the event's index
# i.e. 8-4-4-4-12 with the version and variant of a version-4 UUID: random across
# runs and visits, and unique within a run by construction (the visit number goes
# through an odd multiplier mod 2**36, a bijection, so consecutive visits do not look
# sequential). One draw and one format per visit instead of two UUIDs, and per event
# only a lookup of its index: EVENT_ID_MID.
VISIT_BITS = 208
# Hex digit i of the 52 sits at bit (51 - i) * 4: versions at digits 12 and 44,
# variants (top two bits of the digit) at 16 and 48.
VISIT_CLEAR = ~((0xF << 156) | (0x3 << 142) | (0xF << 28) | (0x3 << 14))
VISIT_SET = (0x4 << 156) | (0x2 << 142) | (0x4 << 28) | (0x2 << 14)
MASK36 = (1 << 36) - 1
MULT36 = 0x9E3779B97 | 1
MAX_EVENTS_PER_VISIT = 1 << 12
# The end of an event id by the event's index in its visit, with what follows it up to
# the timestamp's value: '<3 hex digits>","event_timestamp":"'.
EVENT_ID_MID: tuple[str, ...] = tuple(
    f'{i:03x}","event_timestamp":"' for i in range(MAX_EVENTS_PER_VISIT)
)


def visit_ids(bits: int, visit_no: int) -> tuple[str, str]:
    """(session id, event id head) of the visit_no-th visit from VISIT_BITS random bits;
    event k's id is head + EVENT_ID_MID[k][:3]. (The engine inlines this.)"""
    h = "%052x" % ((bits & VISIT_CLEAR) | VISIT_SET)
    n = "%09x" % ((visit_no * MULT36) & MASK36)
    return (
        f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
        f"{h[32:40]}-{h[40:44]}-{h[44:48]}-{h[48:52]}-{n}",
    )
