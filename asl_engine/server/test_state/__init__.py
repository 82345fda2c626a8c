"""TestState: one state of a definition run on its own, with AWS's inspection levels, mocks and configuration.

``request`` reads and checks a request, ``tester`` runs it, ``probe`` observes the
state while the engine's own state code runs it, ``mock_shape`` checks a mocked
result against the API's model and ``http_trace`` renders an HTTP Task's exchange.
"""

from asl_engine.server.test_state.tester import StateTester

__all__ = ["StateTester"]
