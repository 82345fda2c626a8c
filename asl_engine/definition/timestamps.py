"""The timestamp syntax ASL accepts in Wait ``Timestamp`` and Choice ``Timestamp*`` operands.

ASL narrows RFC 3339: an uppercase ``T`` between date and time, and ``Z`` or a
numeric ``+hh:mm`` offset; fractional seconds are optional. The date and time
must also exist on the calendar (no February 30th, no hour 24).
"""

from __future__ import annotations

import re
from datetime import datetime

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))")


def is_timestamp(text: str) -> bool:
    """True when ``text`` is a timestamp AWS accepts."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return False
    year, month, day, hour, minute, second, off_h, off_m = match.groups()
    if off_h is not None and (int(off_h) > 23 or int(off_m) > 59):
        return False
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return False
    return True
