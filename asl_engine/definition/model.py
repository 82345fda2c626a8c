"""Typed, immutable view of a state machine definition (pydantic v2).

The model is what the compiler and the interpreter read: snake_case
attributes, AWS defaults filled in (``InputPath`` ``"$"``, ``MaxAttempts`` 3,
...), every field of both query languages. It checks shape only; the rules
AWS enforces with exact diagnostics live in ``validate`` and run on the raw
dict first, so a definition reaching ``model_validate`` is already known good.

A field present with JSON ``null`` and a field absent differ in ASL
(``"ResultPath": null`` discards the result, no ResultPath keeps ``"$"``):
path fields default to ``"$"`` and hold ``None`` only for an explicit null;
``has(field)`` tells presence for the rest (``Result``, ``Output``...).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_pascal

from asl_engine.definition.fields import COMPARISON_OPERATORS

QueryLanguage = Literal["JSONPath", "JSONata"]
# A JSONata-state field that holds either a literal or a "{% expression %}" string.
IntOrExpr = int | str
NumberOrExpr = float | str


class _Node(BaseModel):
    """Base of every definition object: AWS field names as aliases, frozen, closed."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="forbid",
                              frozen=True)

    def has(self, field: str) -> bool:
        """Whether ``field`` (python name) was written in the definition, even as null."""
        return field in self.model_fields_set


class Retrier(_Node):
    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter_strategy: Literal["FULL", "NONE"] = "NONE"
    comment: str | None = None


class Catcher(_Node):
    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"
    output: Any = None
    assign: dict[str, Any] | None = None
    comment: str | None = None


class ChoiceRule(_Node):
    """One Choice rule; a JSONPath comparison is folded into ``operator``/``operand``.

    ``{"Variable": "$.x", "NumericEquals": 1}`` becomes ``variable="$.x",
    operator="NumericEquals", operand=1`` so the compiler dispatches on one
    attribute instead of probing forty optional fields.
    """

    variable: str | None = None
    operator: str | None = None
    operand: Any = None
    and_: tuple[ChoiceRule, ...] | None = Field(None, alias="And")
    or_: tuple[ChoiceRule, ...] | None = Field(None, alias="Or")
    not_: ChoiceRule | None = Field(None, alias="Not")
    condition: bool | str | None = None
    next: str | None = None
    assign: dict[str, Any] | None = None
    output: Any = None
    comment: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_comparison(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        found = [key for key in data if key in COMPARISON_OPERATORS]
        if len(found) > 1:
            raise ValueError(f"a Choice rule has one comparison operator, found {found}")
        if not found:
            return data
        rule = {k: v for k, v in data.items() if k != found[0]}
        rule["operator"], rule["operand"] = found[0], data[found[0]]
        return rule

    @model_serializer(mode="wrap")
    def _unfold_comparison(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dump back to AWS's shape, ``{"NumericEquals": 1}`` rather than operator/operand."""
        data = handler(self)
        for key in ("operator", "operand", "Operator", "Operand"):
            data.pop(key, None)
        if self.operator is not None:
            data[self.operator] = self.operand
        return data


class ProcessorConfig(_Node):
    mode: Literal["INLINE", "DISTRIBUTED"] = "INLINE"
    execution_type: Literal["STANDARD", "EXPRESS"] | None = None


class ReaderConfig(_Node):
    input_type: str | None = None
    csv_header_location: str | None = Field(None, alias="CSVHeaderLocation")
    csv_headers: tuple[str, ...] | None = Field(None, alias="CSVHeaders")
    csv_delimiter: str | None = Field(None, alias="CSVDelimiter")
    max_items: IntOrExpr | None = None
    max_items_path: str | None = None
    manifest_type: str | None = None
    transformation: str | None = None


class ItemReader(_Node):
    resource: str
    reader_config: ReaderConfig | None = None
    parameters: Any = None
    arguments: Any = None


class ItemBatcher(_Node):
    max_items_per_batch: IntOrExpr | None = None
    max_items_per_batch_path: str | None = None
    max_input_bytes_per_batch: IntOrExpr | None = None
    max_input_bytes_per_batch_path: str | None = None
    batch_input: Any = None


class WriterConfig(_Node):
    transformation: str | None = None
    output_type: str | None = None


class ResultWriter(_Node):
    resource: str | None = None
    parameters: Any = None
    arguments: Any = None
    writer_config: WriterConfig | None = None


class _State(_Node):
    comment: str | None = None
    query_language: QueryLanguage | None = None


class _Flow(_Node):
    next: str | None = None
    end: bool = False


class _InputOutput(_Node):
    input_path: str | None = "$"
    output_path: str | None = "$"
    output: Any = None


class _Assigns(_Node):
    assign: dict[str, Any] | None = None


class _Results(_Node):
    parameters: Any = None
    result_selector: dict[str, Any] | None = None
    result_path: str | None = "$"


class _Errors(_Node):
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


class PassState(_State, _Flow, _InputOutput, _Assigns):
    type: Literal["Pass"]
    parameters: Any = None
    result_path: str | None = "$"
    result: Any = None


class TaskState(_State, _Flow, _InputOutput, _Assigns, _Results, _Errors):
    type: Literal["Task"]
    resource: str
    arguments: Any = None
    credentials: Any = None  # an object, or a "{% %}" expression in a JSONata state
    timeout_seconds: IntOrExpr | None = None
    timeout_seconds_path: str | None = None
    heartbeat_seconds: IntOrExpr | None = None
    heartbeat_seconds_path: str | None = None


class ChoiceState(_State, _InputOutput, _Assigns):
    type: Literal["Choice"]
    choices: tuple[ChoiceRule, ...]
    default: str | None = None


class WaitState(_State, _Flow, _InputOutput, _Assigns):
    type: Literal["Wait"]
    seconds: IntOrExpr | None = None
    seconds_path: str | None = None
    timestamp: str | None = None
    timestamp_path: str | None = None


class SucceedState(_State, _InputOutput):
    type: Literal["Succeed"]


class FailState(_State):
    type: Literal["Fail"]
    error: str | None = None
    error_path: str | None = None
    cause: str | None = None
    cause_path: str | None = None


class ParallelState(_State, _Flow, _InputOutput, _Assigns, _Results, _Errors):
    type: Literal["Parallel"]
    branches: tuple[Branch, ...]
    arguments: Any = None


class MapState(_State, _Flow, _InputOutput, _Assigns, _Errors):
    type: Literal["Map"]
    item_processor: Processor | None = None
    iterator: Processor | None = None
    items_path: str | None = "$"
    items: Any = None
    item_selector: Any = None
    parameters: Any = None  # legacy spelling of ItemSelector
    result_selector: dict[str, Any] | None = None
    result_path: str | None = "$"
    item_reader: ItemReader | None = None
    item_batcher: ItemBatcher | None = None
    result_writer: ResultWriter | None = None
    max_concurrency: IntOrExpr | None = None
    max_concurrency_path: str | None = None
    tolerated_failure_percentage: NumberOrExpr | None = None
    tolerated_failure_percentage_path: str | None = None
    tolerated_failure_count: IntOrExpr | None = None
    tolerated_failure_count_path: str | None = None
    label: str | None = None

    @property
    def processor(self) -> Processor:
        """The nested state machine, whichever of ItemProcessor or the legacy Iterator holds it."""
        processor = self.item_processor or self.iterator
        assert processor is not None, "validate() rejects a Map without ItemProcessor"
        return processor


State = Annotated[
    PassState | TaskState | ChoiceState | WaitState | SucceedState | FailState | ParallelState | MapState,
    Field(discriminator="type"),
]


class Branch(_Node):
    """A nested state machine (Parallel branch); state names are unique across the whole definition."""

    start_at: str
    states: dict[str, State]
    comment: str | None = None


class Processor(Branch):
    """A Map's ItemProcessor (or legacy Iterator)."""

    processor_config: ProcessorConfig = ProcessorConfig()


class StateMachineModel(Branch):
    version: str | None = None
    timeout_seconds: int | None = None
    query_language: QueryLanguage = "JSONPath"

    def language_of(self, state: _State) -> QueryLanguage:
        """The query language ``state`` runs in.

        AWS resolves a state without its own QueryLanguage against the state
        machine's, not the enclosing Map's or Parallel's (measured with
        ValidateStateMachineDefinition).
        """
        return state.query_language or self.query_language


for _model in (ChoiceRule, ParallelState, MapState, Branch, Processor, StateMachineModel):
    _model.model_rebuild()
