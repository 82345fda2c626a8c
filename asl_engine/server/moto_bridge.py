"""Every AWS service asl serve does not emulate itself, answered by moto's server in this process.

moto keeps its backends in module-level state, so the requests served here
and the boto3 calls the engine's integrations make under ``mock_aws`` see
the same queues, tables and buckets.  ``start_moto`` is started before the
first request: starting it later would reset what clients already created.
"""

from __future__ import annotations

from a2wsgi import WSGIMiddleware
from moto.server import DomainDispatcherApplication, create_backend_app
from starlette.types import ASGIApp

from asl_engine.integrations.clients import start_moto


def moto_app() -> ASGIApp:
    """moto's server as an ASGI app (its WSGI app on a2wsgi's thread pool), its mock started first."""
    start_moto()
    return WSGIMiddleware(DomainDispatcherApplication(create_backend_app))
