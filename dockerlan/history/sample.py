"""Histories that are linearizable by construction, for the checker's tests and bench."""

from __future__ import annotations

import random
from typing import Any

from dockerlan.history.ops import Op


def generated(seed: int, clients: int, count: int, keys: int = 3) -> list[Op]:
    """A history that is linearizable by construction: each op takes effect at an
    instant, in that order on a sequential kv store, inside an interval around it
    that overlaps others; each client has one op at a time."""
    rng = random.Random(seed)
    store: dict[str, Any] = {}
    free = [0.0] * clients  # when each client may call again
    made = []
    moment = 0.0
    for index in range(count):
        moment += rng.uniform(0.1, 1.0)
        client = min(range(clients), key=lambda c: free[c])
        call = max(free[client], moment - rng.uniform(0, 3))
        moment = max(moment, call + 0.01)
        ret = moment + rng.uniform(0, 3)
        free[client] = ret + 0.01
        key = f"k{rng.randrange(keys)}"
        if rng.random() < 0.5:
            value = rng.randrange(5)
            store[key] = value
            made.append(Op(index, client, "write", key, value, None, call, ret))
        else:
            made.append(Op(index, client, "read", key, None, store.get(key), call, ret))
    return sorted(made, key=lambda o: o.call)
