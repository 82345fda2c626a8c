"""EventBridge event patterns: validation with AWS's messages, and a shared matcher.

``compile_pattern`` validates one pattern; ``EventMatcher`` holds all rules of
a bus and finds the ones an event matches; ``test_event_pattern`` is the
TestEventPattern API.
"""

from .grammar import compile_pattern
from .matcher import EventMatcher
from .model import CompiledPattern
from .testing import parse_test_event, test_event_pattern

__all__ = ["CompiledPattern", "EventMatcher", "compile_pattern", "parse_test_event", "test_event_pattern"]
