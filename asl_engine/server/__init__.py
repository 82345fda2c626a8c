"""``asl serve``: the Step Functions API (awsJson1_0) over a durable store, with moto for other services."""

from asl_engine.server.app import Gateway
from asl_engine.server.serve import ServeOptions, serve
from asl_engine.server.service import StepFunctionsService

__all__ = ["Gateway", "ServeOptions", "StepFunctionsService", "serve"]
