"""TestEventPattern: does one pattern match one event, with AWS's errors for bad input."""

from __future__ import annotations

import json

from ..errors import ValidationError
from .matcher import EventMatcher

_EVENT_FIELDS = frozenset({"id", "account", "source", "time", "region", "detail-type"})
"""Fields AWS requires in the Event of TestEventPattern (``resources`` is documented but not required)."""


def parse_test_event(event_json: str) -> dict:
    """The event as a dict; ValidationException "Parameter Event is not valid." otherwise."""
    try:
        event = json.loads(event_json)
    except ValueError:
        event = None
    if not isinstance(event, dict) or not event.keys() >= _EVENT_FIELDS:
        raise ValidationError("Parameter Event is not valid.")
    return event


def test_event_pattern(pattern_json: str, event_json: str) -> bool:
    """Whether the pattern matches the event, exactly as the TestEventPattern API answers.

    Raises ValidationError for an unusable event (checked first, as AWS does)
    and InvalidEventPatternError for an invalid pattern.
    """
    event = parse_test_event(event_json)
    matcher = EventMatcher()
    matcher.add_rule("pattern", pattern_json)
    return bool(matcher.matching_rules(event))


test_event_pattern.__test__ = False  # a library function, not a pytest test
