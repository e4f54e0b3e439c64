"""Cheap, seeded identifiers. `uuid.uuid4()` reads os.urandom and builds a UUID
object per call; formatting bits from a seeded Random is several times faster
and keeps a seeded run reproducible."""

from __future__ import annotations

from random import Random

__all__ = ["MASK48", "MULT", "VERSION_CLEAR", "VERSION_SET", "event_id_suffix", "uuid4_str"]

VERSION_CLEAR = ~((0xF << 76) | (0x3 << 62))
VERSION_SET = (0x4 << 76) | (0x2 << 62)  # version 4, RFC 4122 variant


def uuid4_str(rnd: Random) -> str:
    """A random version-4 UUID in canonical lowercase form, drawn from `rnd`."""
    h = "%032x" % ((rnd.getrandbits(128) & VERSION_CLEAR) | VERSION_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Event ids are a random per-session 24-character UUID prefix plus 12 hex digits
# scrambled from a per-run counter: unique within a run by construction, where
# 48 random bits would start to collide after a few million events. MULT is odd,
# so n -> n * MULT mod 2**48 is a bijection, and consecutive ids do not look
# sequential.
MASK48 = (1 << 48) - 1
MULT = 0x9E3779B97F4B | 1


def event_id_suffix(counter: int, offset: int) -> str:
    """The 12-hex-digit suffix of the counter-th event id (the engine inlines this)."""
    return "%012x" % (((counter + offset) * MULT) & MASK48)
