"""The TestState action's home in the service's component list; it lives in ``asl_engine.server.test_state``."""

from asl_engine.server.test_state import StateTester

__all__ = ["StateTester"]
