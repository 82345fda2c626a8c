"""asl-engine: run Amazon States Language state machines locally, exactly as AWS does."""

from asl_engine.errors import Diagnostic, InvalidDefinition, StatesError
from asl_engine.integrations.api_errors import ApiError
from asl_engine.integrations.callbacks.activity_worker import ActivityWorker
from asl_engine.integrations.registry import Resources
from asl_engine.runtime.clock import RealClock, VirtualClock
from asl_engine.runtime.execution import ExecutionResult
from asl_engine.runtime.services import Services
from asl_engine.state_machine import InvalidExecutionInput, StateMachine

__all__ = ["ActivityWorker", "ApiError", "Diagnostic", "ExecutionResult", "InvalidDefinition", "InvalidExecutionInput",
           "RealClock", "Resources", "Services", "StateMachine", "StatesError", "VirtualClock"]
