"""Equality of decoded JSON values as the decoders' tests need it: the same types all the way down."""

from __future__ import annotations

import math
from typing import Any


def same_values(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True are not the same here; NaN is NaN;
    -0.0 is not 0.0), and dict keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return bool(a == b)
