"""Numbers as event-ruler compares them.

EventBridge compares numbers numerically only within -5e9..5e9 and to six
decimal places: each number becomes ``int(1e6 * (5e9 + x))`` (event-ruler's
ComparableNumber). Outside that range a number is compared as written, so a
12-digit account id still matches itself. Keeping AWS's truncation, not
Python's float equality, is what makes 300 equal 300.0 but not 300.0000001.
"""

from __future__ import annotations

_LIMIT = 5e9
_SCALE = 1e6
RANGE_ERROR = "Value must be between -5.0E9 and 5.0E9, inclusive"


def comparable(value: float) -> int:
    """The comparable form of an in-range number; ValueError (AWS's text) when out of range."""
    value = float(value)
    if not -_LIMIT <= value <= _LIMIT:
        raise ValueError(RANGE_ERROR)
    return int(_SCALE * (_LIMIT + value))


def number_key(value: int | float) -> object:
    """The key two numbers share when AWS considers them equal.

    In-range numbers share their comparable form; others compare by value,
    the closest Python gets to AWS's comparison of their literal text.
    """
    try:
        return comparable(value)
    except (ValueError, OverflowError):
        return ("literal", value)
