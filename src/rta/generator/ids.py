"""Cheap, seeded identifiers. `uuid.uuid4()` reads os.urandom and builds a UUID
object per call; formatting bits from a seeded Random is several times faster
and keeps a seeded run reproducible."""

from __future__ import annotations

import struct
from random import Random

__all__ = [
    "EVENT_ID_MID",
    "VERSION_CLEAR",
    "VERSION_SET",
    "VISIT_BITS",
    "uuid4_str",
    "visit_id_block",
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
    event k's id is head + EVENT_ID_MID[k][:3]. The reference for visit_id_block(),
    which the engine uses and the tests hold to this, one visit at a time."""
    h = "%052x" % ((bits & VISIT_CLEAR) | VISIT_SET)
    n = "%09x" % ((visit_no * MULT36) & MASK36)
    return (
        f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
        f"{h[32:40]}-{h[40:44]}-{h[44:48]}-{h[48:52]}-{n}",
    )


# visit_id_block() lays a block's ids out in ASCII buffers of fixed-width records and
# fills each character position of all records with one strided slice assignment, so
# the cost per id is a few bytes copied in C instead of a format and five slices
# (~1.3 µs a visit as visit_ids() does it, ~0.4 µs in blocks of 1,024).
_VARIANT = bytes.maketrans(b"0123456789abcdef", b"89ab89ab89ab89ab")
_HEAD_PREFIX = b'{"event_id":"'
# Record widths, each with a ',' that split() cuts at (no id or head contains one).
_SID_W = 37
_HEAD_W = len(_HEAD_PREFIX) + 34
# Where the 8-4-4-4-12 groups' hex digits go in a dashed id: (first char, digits).
_GROUPS = ((0, 8), (9, 4), (14, 4), (19, 4), (24, 12))


def _digit_map(
    first_digit: int, base: int, groups: tuple[tuple[int, int], ...]
) -> list[tuple[int, int]]:
    """(position in the record, position among the 52 random hex digits) per digit."""
    out, digit = [], first_digit
    for start, n in groups:
        for k in range(n):
            out.append((base + start + k, digit))
            digit += 1
    return out


# Session id: digits 0-31; event id head: digits 32-51, the 20 of '8-4-4-4-'.
_SID_DIGITS = _digit_map(0, 0, _GROUPS)
_HEAD_DIGITS = _digit_map(32, len(_HEAD_PREFIX), _GROUPS[:4])
# Version and variant digits (12 and 16 of a UUID's 32), by position in the record.
_SID_VERSION, _SID_VARIANT = 14, 19
_HEAD_VERSION, _HEAD_VARIANT = len(_HEAD_PREFIX) + 14, len(_HEAD_PREFIX) + 19
_HEAD_NUMBER = len(_HEAD_PREFIX) + 24  # the visit number's 9 hex digits


def visit_id_block(rnd: Random, first_visit_no: int, count: int) -> tuple[list[str], list[str]]:
    """visit_ids() of `count` visits from first_visit_no on, drawing VISIT_BITS bits per
    visit as rnd.randbytes(): visit k's ids equal visit_ids(int.from_bytes(its 26 bytes),
    first_visit_no + k). Returns (session ids, event id heads)."""
    digits = rnd.randbytes(VISIT_BITS // 8 * count).hex().encode()
    sids = bytearray(b"-" * (_SID_W - 1) + b",") * count
    heads = bytearray(_HEAD_PREFIX + b"-" * (_HEAD_W - len(_HEAD_PREFIX) - 1) + b",") * count
    for out, width, positions in ((sids, _SID_W, _SID_DIGITS), (heads, _HEAD_W, _HEAD_DIGITS)):
        for at, digit in positions:
            out[at::width] = digits[digit::52]
    for out, width, version, variant in (
        (sids, _SID_W, _SID_VERSION, _SID_VARIANT),
        (heads, _HEAD_W, _HEAD_VERSION, _HEAD_VARIANT),
    ):
        out[version::width] = b"4" * count
        out[variant::width] = out[variant::width].translate(_VARIANT)
    # The visit numbers' scramble (n * MULT36) & MASK36 is an arithmetic progression
    # mod 2**36: the low 9 hex digits of each 64-bit big-endian start + k * MULT36.
    start = first_visit_no * MULT36 & MASK36
    numbers = struct.pack(f">{count}Q", *range(start, start + count * MULT36, MULT36))
    hex_numbers = numbers.hex().encode()
    for k in range(9):
        heads[_HEAD_NUMBER + k :: _HEAD_W] = hex_numbers[7 + k :: 16]
    return sids.decode().split(",")[:count], heads.decode().split(",")[:count]
