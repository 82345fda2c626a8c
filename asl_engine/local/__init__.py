"""The local stack: a SAM application deployed in-process on moto, the engine, EventBridge and the
SageMaker/Batch simulator, on one clock (see ``stack``)."""

from asl_engine.local.stack import LocalStack
from asl_engine.local.world import WorldSettings

__all__ = ["LocalStack", "WorldSettings"]
