"""The simulated world: users with stable devices and cities, and a product
catalogue. Built once at start-up with Faker, seeded, so that a run's users and
products are the same for the same seed; nothing here runs per event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from random import Random

from faker import Faker

from rta.generator.ids import uuid4_str

__all__ = ["Product", "User", "build_catalogue", "build_pages", "build_users"]


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


def _pick(rnd: Random, options: _Weighted) -> str:
    names = [o[0] for o in options]
    return rnd.choices(names, weights=[o[1] for o in options])[0]


def _device(rnd: Random) -> tuple[str, str, str]:
    device = rnd.choices(_DEVICES, weights=[d[1] for d in _DEVICES])[0]
    os_entry = rnd.choices(device[2], weights=[o[1] for o in device[2]])[0]
    return device[0], os_entry[0], _pick(rnd, os_entry[2])


def build_users(count: int, rnd: Random, fake: Faker) -> list[User]:
    """`count` users; a pool of cities smaller than the population, so that
    several users share a city as they do in real traffic."""
    cities = [fake.city() for _ in range(max(10, min(count // 5, 500)))]
    users = []
    for _ in range(count):
        device_type, os_name, browser = _device(rnd)
        users.append(User(uuid4_str(rnd), device_type, os_name, browser, rnd.choice(cities)))
    return users


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
