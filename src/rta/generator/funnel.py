"""Sessions as a shop funnel: page_view -> product_view -> add_to_cart -> purchase.

A session is planned in full when it starts: the JSON fields its events share
(user, session, device) once, and the list of its events' type-specific parts.
The engine then only has to join an event id, a timestamp, the shared fields
and the next part, which keeps the per-event work down to one string join.
"""

from __future__ import annotations

import itertools
import json
from bisect import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from math import floor
from random import Random
from typing import Any

from rta.generator.population import SHOP, Product

__all__ = ["Funnel", "SessionPlanner"]


@dataclass(frozen=True)
class Funnel:
    """Transition probabilities; in each group what is left over ends the session.

    The defaults give what shops report: about a third of visits with one page, 12%
    with an add to cart, 3-4% with a purchase, 70% of carts abandoned (`rta
    generate --describe` shows the rates a funnel implies).
    """

    page_to_product: float = 0.40
    """page_view -> product_view of a product (picked by popularity)."""
    page_to_page: float = 0.20
    """page_view -> another page_view."""
    view_to_cart: float = 0.05
    """product_view -> add_to_cart of the product just viewed."""
    view_repeat: float = 0.08
    """product_view -> product_view of the same product again."""
    view_to_other: float = 0.50
    """product_view -> product_view of another product."""
    view_to_page: float = 0.18
    """product_view -> page_view."""
    cart_to_purchase: float = 0.20
    """add_to_cart -> checkout: one purchase line per product in the cart, one order_id."""
    cart_to_browse: float = 0.50
    """add_to_cart -> product_view of another product (else the cart is abandoned)."""
    purchase_to_browse: float = 0.15
    """after a checkout -> page_view (else the session ends)."""
    max_events: int = 60
    """No new funnel step after this many events (a checkout still emits all its lines)."""
    quantity_weights: tuple[float, ...] = (0.75, 0.17, 0.08)
    """Relative weights of add_to_cart quantities 1, 2, 3, ..."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not 0.0 <= value <= 1.0:
                raise ValueError(f"funnel.{f.name}: must be between 0 and 1, got {value}")
        groups = {
            "page_*": self.page_to_product + self.page_to_page,
            "view_*": self.view_to_cart + self.view_repeat + self.view_to_other + self.view_to_page,
            "cart_*": self.cart_to_purchase + self.cart_to_browse,
        }
        for name, total in groups.items():
            if total > 1.0 + 1e-9:
                raise ValueError(f"funnel.{name}: probabilities add up to {total:.3f} > 1")
        # A visit has at most 2 x max_events events (a checkout adds a line per product
        # in the cart), and event ids have 3 hex digits for the index (rta.generator.ids).
        if not 1 <= self.max_events <= 2000:
            raise ValueError("funnel.max_events: must be between 1 and 2000")
        if not self.quantity_weights or min(self.quantity_weights) < 0:
            raise ValueError("funnel.quantity_weights: need at least one weight, none negative")


_EXTERNAL_REFERRERS = (
    ("", 0.35),  # typed-in or bookmarked
    ("https://www.google.com/", 0.35),
    ("https://www.bing.com/", 0.05),
    ("https://www.facebook.com/", 0.08),
    ("https://www.instagram.com/", 0.07),
    ("https://t.co/", 0.03),
    ("https://newsletter.example.com/", 0.07),
)


class SessionPlanner:
    """Plans sessions for a fixed world (users, catalogue, pages) and funnel."""

    def __init__(
        self,
        funnel: Funnel,
        catalogue: list[Product],
        pages: list[str],
        rnd: Random,
    ) -> None:
        self.funnel = funnel
        self._rnd = rnd
        self._catalogue = catalogue
        # Everything that is the same in every event of a product, rendered once.
        self._product_json = [p.json_fields for p in catalogue]
        self._pages = [json.dumps(p) for p in pages]
        self._product_pages = [json.dumps(f"{SHOP}/p/{p.product_id}") for p in catalogue]
        self._referrers = [json.dumps(r) for r, _ in _EXTERNAL_REFERRERS]
        self._referrer_cw = _cumulative(w for _, w in _EXTERNAL_REFERRERS)
        # Zipf-like popularity: a few best sellers, a long tail.
        self._product_cw = _cumulative(1.0 / (i + 1) ** 0.8 for i in range(len(catalogue)))
        self._quantity_cw = _cumulative(funnel.quantity_weights)
        # Seconds spent on a page, log-normal (median ~20 s); drawn from a seeded pool
        # because a lognormvariate() per page view costs more than the whole event.
        self._time_spent = [repr(round(rnd.lognormvariate(3.0, 0.9), 2)) for _ in range(4096)]
        self._thresholds = _thresholds(funnel, stay=1.0)
        self._explorer_thresholds = _thresholds(funnel, stay=3.0)
        # Product views and cart adds are the same JSON every time: render them once.
        self._view_parts = [f',"event_type":"product_view"{pj}}}' for pj in self._product_json]
        self._cart_parts = [
            [
                f',"event_type":"add_to_cart"{pj},"quantity":{q}}}'
                for q in range(1, len(funnel.quantity_weights) + 1)
            ]
            for pj in self._product_json
        ]
        self.plan_into = self._make_plan_into()

    def plan(
        self, user_json: tuple[str, str], session_id: str, explorer: bool = False
    ) -> tuple[str, list[str]]:
        """The session's base fields and its events' type-specific parts, in funnel order.
        An explorer leaves each step with a third of the usual probability.

        The base starts with the quote that closes the timestamp, so an event is
        '{"event_id":"' + id + '","event_timestamp":"' + timestamp + base + part.
        """
        pre, post = user_json
        parts: list[Any] = []
        self.plan_into(parts, explorer)
        return pre + session_id + post, parts

    def _make_plan_into(self) -> Callable[[list[Any], bool], None]:
        """plan_into(out, explorer): append a new visit's parts to `out`.

        A closure over everything it reads: it runs once per visit, and attribute
        look-ups on self cost as much as a short visit's funnel steps.
        """
        f, rnd, catalogue = self.funnel, self._rnd, self._catalogue
        random, getrandbits = rnd.random, rnd.getrandbits
        view_parts, cart_parts = self._view_parts, self._cart_parts
        pages, product_json, time_spent = self._pages, self._product_json, self._time_spent
        product_pages = self._product_pages
        referrers, referrer_cw = self._referrers, self._referrer_cw
        referrer_top = referrer_cw[-1]
        quantity_cw = self._quantity_cw
        quantity_top = quantity_cw[-1]
        n_pages = len(pages)
        spent_bits = len(time_spent).bit_length() - 1
        assert len(time_spent) == 1 << spent_bits  # drawn with getrandbits
        product_cw, top = self._product_cw, self._product_cw[-1]
        max_events = f.max_events
        thresholds, explorer_thresholds = self._thresholds, self._explorer_thresholds

        def plan_into(out: list[Any], explorer: bool) -> None:
            add = out.append
            page_a, page_b, view_a, view_b, view_c, view_d, cart_a, cart_b, bought_a = (
                explorer_thresholds if explorer else thresholds
            )
            # floor() and getrandbits(): int(random() * n) costs twice as much.
            referrer = referrers[bisect(referrer_cw, random() * referrer_top)]
            url = pages[floor(random() * n_pages)]
            limit = len(out) + max_events
            add(
                f',"event_type":"page_view","page_url":{url},"referrer_url":{referrer}'
                f',"time_spent":{time_spent[getrandbits(spent_bits)]}}}'
            )
            state, product = _PAGE, 0
            cart: dict[int, int] = {}  # product index -> quantity, in insertion order
            while len(out) < limit:
                r = random()
                if state is _PAGE:
                    if r < page_a:
                        product = bisect(product_cw, random() * top)
                        add(view_parts[product])
                        state = _VIEW
                        continue
                    if r >= page_b:
                        break
                    referrer, url = url, pages[floor(random() * n_pages)]
                elif state is _VIEW:
                    if r < view_a:
                        qty = 1 + bisect(quantity_cw, random() * quantity_top)
                        cart[product] = cart.get(product, 0) + qty
                        add(cart_parts[product][qty - 1])
                        state = _CART
                        continue
                    if r < view_c:
                        if r >= view_b:  # another product; else the same one again
                            product = bisect(product_cw, random() * top)
                        add(view_parts[product])
                        continue
                    if r >= view_d:
                        break
                    referrer, url = product_pages[product], pages[floor(random() * n_pages)]
                elif state is _CART:
                    if r < cart_a:
                        order_id = f"ORD-{getrandbits(64):016X}"
                        for p, qty in cart.items():
                            total = round(catalogue[p].price * qty, 2)
                            add(
                                f',"event_type":"purchase"{product_json[p]}'
                                f',"quantity":{qty},"total_amount":{total!r}'
                                f',"order_id":"{order_id}"}}'
                            )
                        cart.clear()
                        state = _BOUGHT
                        continue
                    if r >= cart_b:
                        break  # the cart is abandoned
                    product = bisect(product_cw, random() * top)
                    add(view_parts[product])
                    state = _VIEW
                    continue
                else:  # _BOUGHT
                    if r >= bought_a:
                        break
                    referrer, url = url, pages[floor(random() * n_pages)]
                # Every branch that did not `continue` or `break` lands on a page view.
                add(
                    f',"event_type":"page_view","page_url":{url},"referrer_url":{referrer}'
                    f',"time_spent":{time_spent[getrandbits(spent_bits)]}}}'
                )
                state = _PAGE

        return plan_into


# States of the funnel (compared by identity in the planner's loop).
_PAGE, _VIEW, _CART, _BOUGHT = "page", "view", "cart", "bought"


def _thresholds(f: Funnel, stay: float) -> tuple[float, ...]:
    """Each state's cumulative transition thresholds, with the chance to leave divided
    by `stay` (the transitions grow in proportion to make up for it)."""

    def group(*probs: float) -> list[float]:
        leave = 1.0 - sum(probs)
        k = (1.0 - leave / stay) / (1.0 - leave) if leave < 1.0 else 1.0
        return list(itertools.accumulate(p * k for p in probs))

    page, view = (
        group(f.page_to_product, f.page_to_page),
        group(f.view_to_cart, f.view_repeat, f.view_to_other, f.view_to_page),
    )
    cart, bought = group(f.cart_to_purchase, f.cart_to_browse), group(f.purchase_to_browse)
    return (*page, *view, *cart, *bought)


def _cumulative(weights: Iterable[float]) -> list[float]:
    return list(itertools.accumulate(weights))
