"""The simulated world: users with stable devices and cities, and a product
catalogue. Built once at start-up with Faker, seeded, so that a run's users and
products are the same for the same seed; nothing here runs per event."""

from __future__ import annotations

import itertools
import json
from bisect import bisect
from dataclasses import dataclass
from random import Random

from faker import Faker

from rta.generator.ids import VERSION_CLEAR as _VERSION_CLEAR
from rta.generator.ids import VERSION_SET as _VERSION_SET

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


class Population:
    """`count` users, each made from its index when it first visits: a population of
    millions costs nothing until its users show up, and user i is the same user
    whichever order the visits come in.

    A pool of cities smaller than the population lets several users share a city, as
    they do in real traffic.
    """

    def __init__(self, count: int, rnd: Random, fake: Faker) -> None:
        if count < 1:
            raise ValueError("users: must be >= 1")
        self.count = count
        self._cities = [fake.city() for _ in range(max(10, min(count // 5, 500)))]
        self._combos, self._combo_cw = _combinations()
        self._salt = rnd.getrandbits(64)
        # What users' events share, rendered once: devices and cities are few.
        self._combo_json = [
            f'","device_type":{json.dumps(d)},"os":{json.dumps(o)},"browser":{json.dumps(b)}'
            for d, o, b in self._combos
        ]
        self._city_json = [f',"location":{json.dumps(c)}' for c in self._cities]
        self._parts: dict[int, tuple[str, str]] = {}

    def _draw(self, index: int) -> tuple[int, int, str]:
        """(device combination, city, user_id) of user `index`, from its index alone."""
        # Tuple hashes of ints are fixed across runs and machines (only str and bytes
        # hashes are salted per process), well mixed, and far cheaper than a Random.
        a = hash((self._salt, index)) & _M64
        b = hash((index, self._salt)) & _M64
        combo = bisect(self._combo_cw, (a & 0xFFFFFFFF) / 2**32 * self._combo_cw[-1])
        h = f"{(((a << 64) | b) & _VERSION_CLEAR) | _VERSION_SET:032x}"
        user_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return combo, (a >> 32) % len(self._cities), user_id

    def user(self, index: int) -> User:
        combo, city, user_id = self._draw(index)
        device, os_name, browser = self._combos[combo]
        return User(user_id, device, os_name, browser, self._cities[city])

    def json_parts(self, index: int) -> tuple[str, str]:
        """User `index`'s fields in every event of theirs, split around the session_id:
        ('","user_id":"…","session_id":"', '","device_type":…,"location":…')."""
        parts = self._parts.get(index)
        if parts is None:
            # _draw() inlined: most visits are by users not seen before (or not kept).
            salt = self._salt
            a = hash((salt, index)) & _M64
            b = hash((index, salt)) & _M64
            combo_cw = self._combo_cw
            combo = bisect(combo_cw, (a & 0xFFFFFFFF) / 2**32 * combo_cw[-1])
            h = "%032x" % ((((a << 64) | b) & _VERSION_CLEAR) | _VERSION_SET)
            user_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            parts = (
                f'","user_id":"{user_id}","session_id":"',
                self._combo_json[combo] + self._city_json[(a >> 32) % len(self._cities)],
            )
            if index < _PARTS_CACHE:
                self._parts[index] = parts
        return parts


# Users whose JSON is kept rendered: the regulars (the lowest indexes, see
# Traffic.user_index), who come back most; a bound, so a population of millions does
# not all stay.
_PARTS_CACHE = 100_000


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
