"""The simulated world: users with stable devices and cities, and a product
catalogue. Built once at start-up with Faker, seeded, so that a run's users and
products are the same for the same seed; nothing here runs per event."""

from __future__ import annotations

import itertools
import json
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from faker import Faker

from rta.generator.ids import uuid4_str

__all__ = ["Population", "Product", "User", "build_catalogue", "build_pages"]


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    device_type: str
    os: str
    browser: str
    location: str


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    product_name: str
    product_category: str
    price: float

    @property
    def json_fields(self) -> str:
        """',"product_id":…,"price":…' exactly as it appears in every event of it."""
        return (
            f',"product_id":{json.dumps(self.product_id)}'
            f',"product_name":{json.dumps(self.product_name, ensure_ascii=False)}'
            f',"product_category":{json.dumps(self.product_category)}'
            f',"price":{self.price!r}'
        )


# (device_type, weight, ((os, weight, ((browser, weight), ...)), ...)): only
# combinations that exist in the wild, weighted roughly like web traffic.
_Weighted = tuple[tuple[str, float], ...]
_DEVICES: tuple[tuple[str, float, tuple[tuple[str, float, _Weighted], ...]], ...] = (
    (
        "mobile",
        0.58,
        (
            ("Android", 0.55, (("Chrome", 0.8), ("Samsung Internet", 0.15), ("Firefox", 0.05))),
            ("iOS", 0.45, (("Safari", 0.85), ("Chrome", 0.15))),
        ),
    ),
    (
        "desktop",
        0.36,
        (
            ("Windows", 0.7, (("Chrome", 0.65), ("Edge", 0.25), ("Firefox", 0.1))),
            ("macOS", 0.25, (("Safari", 0.5), ("Chrome", 0.4), ("Firefox", 0.1))),
            ("Linux", 0.05, (("Chrome", 0.6), ("Firefox", 0.4))),
        ),
    ),
    (
        "tablet",
        0.06,
        (
            ("iPadOS", 0.6, (("Safari", 0.9), ("Chrome", 0.1))),
            ("Android", 0.4, (("Chrome", 0.9), ("Samsung Internet", 0.1))),
        ),
    ),
)

_CATEGORIES: dict[str, tuple[tuple[float, float], tuple[str, ...]]] = {
    # category: ((min price, max price), nouns)
    "Electronics": (
        (9.0, 1500.0),
        ("Headphones", "Smartwatch", "Speaker", "Charger", "Monitor", "Keyboard", "Camera"),
    ),
    "Books": ((5.0, 60.0), ("Novel", "Cookbook", "Atlas", "Biography", "Notebook", "Anthology")),
    "Clothing": ((8.0, 250.0), ("T-Shirt", "Jacket", "Sneakers", "Scarf", "Jeans", "Hoodie")),
    "Home & Kitchen": ((6.0, 400.0), ("Kettle", "Blender", "Lamp", "Pan", "Cushion", "Mug")),
    "Sports": ((7.0, 600.0), ("Yoga Mat", "Bicycle Helmet", "Dumbbell", "Tent", "Backpack")),
    "Toys": ((4.0, 150.0), ("Puzzle", "Board Game", "Building Set", "Plush Bear", "Kite")),
    "Beauty": ((3.0, 120.0), ("Lipstick", "Serum", "Shampoo", "Perfume", "Face Cream")),
    "Grocery": ((1.0, 40.0), ("Coffee Beans", "Olive Oil", "Green Tea", "Chocolate", "Honey")),
}


def _combinations() -> tuple[list[tuple[str, str, str]], list[float]]:
    """Every (device, os, browser) that exists, and its cumulative weight."""
    combos, weights = [], []
    for device, dw, systems in _DEVICES:
        for os_name, ow, browsers in systems:
            for browser, bw in browsers:
                combos.append((device, os_name, browser))
                weights.append(dw * ow * bw)
    return combos, list(itertools.accumulate(weights))


_M64 = (1 << 64) - 1
# A user's id is one of _ID_HEADS random '8-4-4-4-' heads (version 4, RFC 4122
# variant), picked by a hash of the index, and 12 hex digits of the index scrambled by
# an odd multiplier mod 2**48, a bijection: ids are unique by construction and look
# random, for a table look-up and one int format per visit instead of formatting 128
# hashed bits and cutting them in five (with a cache of 100,000 users' JSON before,
# which held ~40 MB and saved less than it cost in cache misses).
_ID_HEADS = 4096
_M48 = (1 << 48) - 1
_MULT48 = 0x9E3779B97F4B  # odd


class Population:
    """`count` users, each made from its index when it first visits: a population of
    millions costs nothing until its users show up, and user i is the same user
    whichever order the visits come in.

    A pool of cities smaller than the population lets several users share a city, as
    they do in real traffic.
    """

    def __init__(self, count: int, rnd: Random, fake: Faker) -> None:
        if not 1 <= count <= _M48:
            raise ValueError("users: must be between 1 and 2**48")
        self.count = count
        self._cities = [fake.city() for _ in range(max(10, min(count // 5, 500)))]
        self._combos, self._combo_cw = _combinations()
        self._salt = rnd.getrandbits(48)
        self._id_heads = [uuid4_str(rnd)[:24] for _ in range(_ID_HEADS)]
        # What users' events share, rendered once: devices and cities are few.
        self._combo_json = [
            f'","device_type":{json.dumps(d)},"os":{json.dumps(o)},"browser":{json.dumps(b)}'
            for d, o, b in self._combos
        ]
        self._city_json = [f',"location":{json.dumps(c)}' for c in self._cities]
        self.base_fields = self._make_base_fields()

    def _draw(self, index: int) -> tuple[int, int, str]:
        """(device combination, city, user_id) of user `index`, from its index alone."""
        # Tuple hashes of ints are fixed across runs and machines (only str and bytes
        # hashes are salted per process), well mixed, and far cheaper than a Random:
        # 12 bits pick the id's head, 32 the device combination, 20 the city.
        a = hash((self._salt, index)) & _M64
        user_id = f"{self._id_heads[a & 0xFFF]}{(index + self._salt) * _MULT48 & _M48:012x}"
        combo = bisect(self._combo_cw, (a >> 12 & 0xFFFFFFFF) / 2**32 * self._combo_cw[-1])
        return combo, (a >> 44) % len(self._cities), user_id

    def user(self, index: int) -> User:
        combo, city, user_id = self._draw(index)
        device, os_name, browser = self._combos[combo]
        return User(user_id, device, os_name, browser, self._cities[city])

    def _make_base_fields(self) -> Callable[[int, str], str]:
        """base_fields(index, session_id): what every event of a visit by user `index`
        shares, from the quote that closes the timestamp on: '","user_id":"…",
        "session_id":"…","device_type":…,"location":…'. _draw() inlined into one
        f-string, in a closure over what it reads: it runs once per visit."""
        salt, heads = self._salt, self._id_heads
        combo_cw, combo_json = self._combo_cw, self._combo_json
        combo_scale = combo_cw[-1] / 2**32  # x / 2**32 * top, to the same float
        city_json, n_cities = self._city_json, len(self._cities)

        def base_fields(index: int, session_id: str) -> str:
            a = hash((salt, index)) & _M64
            combo = bisect(combo_cw, (a >> 12 & 0xFFFFFFFF) * combo_scale)
            return (
                f'","user_id":"{heads[a & 0xFFF]}{(index + salt) * _MULT48 & _M48:012x}'
                f'","session_id":"{session_id}{combo_json[combo]}'
                f"{city_json[(a >> 44) % n_cities]}"
            )

        return base_fields


def build_catalogue(count: int, rnd: Random, fake: Faker) -> list[Product]:
    """`count` products, ids P000001…, spread over the categories, unique names."""
    categories = list(_CATEGORIES)
    seen: set[str] = set()
    products = []
    for i in range(1, count + 1):
        category = categories[(i - 1) % len(categories)]
        (low, high), nouns = _CATEGORIES[category]
        name = f"{fake.color_name()} {rnd.choice(nouns)}"
        if name in seen:  # a brand keeps names unique in big catalogues
            name = f"{fake.last_name()} {name}"
        seen.add(name)
        # Log-uniform: many cheap items, a few expensive ones.
        price = round(low * (high / low) ** rnd.random(), 2)
        products.append(Product(f"P{i:06d}", name, category, price))
    return products


SHOP = "https://shop.example.com"


def build_pages(catalogue: list[Product]) -> list[str]:
    """Non-product pages of the shop: home, categories, searches, cart, help."""
    categories = sorted({p.product_category for p in catalogue})
    slugs = [c.lower().replace(" & ", "-").replace(" ", "-") for c in categories]
    return [
        f"{SHOP}/",
        *(f"{SHOP}/c/{s}" for s in slugs),
        *(f"{SHOP}/search?q={s}" for s in slugs),
        f"{SHOP}/deals",
        f"{SHOP}/cart",
        f"{SHOP}/account",
        f"{SHOP}/help",
    ]
