"""Map state rules: items, concurrency, failure tolerance, label, and the Distributed Map objects.

Distributed Map's ItemReader/ResultWriter integrate with S3 only through the
resources listed here; AWS refuses any other at the Resource field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asl_engine.definition.expressions import check_path, check_template
from asl_engine.definition.fields import JSONATA, JSONPATH
from asl_engine.definition.jsonata_checks import check_jsonata, is_jsonata
from asl_engine.definition.report import Report, at
from asl_engine.definition.values import exclusive, number_or_expression

if TYPE_CHECKING:
    from asl_engine.definition.context import Context

READER_RESOURCES = ("arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2")
WRITER_RESOURCES = ("arn:aws:states:::s3:putObject",)
_READER_FIELDS = frozenset({"Resource", "ReaderConfig", "Parameters", "Arguments"})
_READER_CONFIG_FIELDS = frozenset({"InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter",
                                   "MaxItems", "MaxItemsPath", "ManifestType", "Transformation"})
_BATCHER_FIELDS = frozenset({"MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
                             "MaxInputBytesPerBatchPath", "BatchInput"})
_WRITER_FIELDS = frozenset({"Resource", "Parameters", "Arguments", "WriterConfig"})
_MAX_BATCH_BYTES = 262_144


def check_map(ctx: Context, state: dict, location: str, language: str) -> None:
    report = ctx.report
    exclusive(report, state, "ItemProcessor", "Iterator", location)
    if "ItemProcessor" not in state and "Iterator" not in state:
        report.schema("These fields are required: [ItemProcessor]", location)
    if "ItemProcessor" in state:
        _check_processor_config(report, state["ItemProcessor"], at(location, "ItemProcessor"))
    if language == JSONATA:
        if "Items" in state and (is_jsonata(state["Items"])
                                 or report.expect(state["Items"], "ARRAY", at(location, "Items"))):
            check_jsonata(report, state["Items"], at(location, "Items"))
        if "ItemSelector" in state:
            check_jsonata(report, state["ItemSelector"], at(location, "ItemSelector"))
    else:
        if "ItemsPath" in state:
            check_path(report, state["ItemsPath"], at(location, "ItemsPath"), reference=True)
        if "ItemSelector" in state and report.expect(state["ItemSelector"], "OBJECT",
                                                     at(location, "ItemSelector")):
            check_template(report, state["ItemSelector"], at(location, "ItemSelector"))
    for field, kind, maximum in (("MaxConcurrency", "INTEGER", None),
                                 ("ToleratedFailurePercentage", "NUMBER", 100),
                                 ("ToleratedFailureCount", "INTEGER", None)):
        exclusive(report, state, field, field + "Path", location)
        if field in state:
            number_or_expression(report, state[field], at(location, field), language, kind, 0, maximum)
        if field + "Path" in state and language != JSONATA:
            check_path(report, state[field + "Path"], at(location, field + "Path"), reference=True)
    if "Label" in state and report.expect(state["Label"], "STRING", at(location, "Label")):
        ctx.names.declare_label(report, state["Label"], at(location, "Label"))
    if "ItemReader" in state:
        _check_reader(report, state["ItemReader"], at(location, "ItemReader"), language)
    if "ItemBatcher" in state:
        _check_batcher(report, state["ItemBatcher"], at(location, "ItemBatcher"), language)
    if "ResultWriter" in state:
        _check_writer(report, state["ResultWriter"], at(location, "ResultWriter"), language)


def _check_processor_config(report: Report, processor: object, location: str) -> None:
    if not isinstance(processor, dict) or "ProcessorConfig" not in processor:
        return
    where = at(location, "ProcessorConfig")
    config = processor["ProcessorConfig"]
    if not report.expect(config, "OBJECT", where):
        return
    _closed(report, config, frozenset({"Mode", "ExecutionType"}), where)
    if "Mode" in config:
        report.one_of(config["Mode"], ("INLINE", "DISTRIBUTED"), at(where, "Mode"))
    if "ExecutionType" in config:
        report.one_of(config["ExecutionType"], ("STANDARD", "EXPRESS"), at(where, "ExecutionType"))


def _closed(report: Report, node: dict, allowed: frozenset[str], location: str) -> None:
    for field in node:
        if field not in allowed:
            report.unsupported(field, location)


def _check_payload(report: Report, node: dict, location: str, language: str) -> None:
    """Parameters (JSONPath) or Arguments (JSONata) of an ItemReader or ResultWriter."""
    own, foreign = ("Arguments", "Parameters") if language == JSONATA else ("Parameters", "Arguments")
    if foreign in node:
        other = JSONPATH if language == JSONATA else JSONATA
        report.schema(f"The QueryLanguage is set to '{language}', but field '{foreign}' is only supported "
                      f"for the '{other}' QueryLanguage", at(location, foreign))
    if own not in node:
        return
    if language == JSONATA:
        check_jsonata(report, node[own], at(location, own))
    elif report.expect(node[own], "OBJECT", at(location, own)):
        check_template(report, node[own], at(location, own))


def _check_reader(report: Report, reader: object, location: str, language: str) -> None:
    if not report.expect(reader, "OBJECT", location):
        return
    _closed(report, reader, _READER_FIELDS, location)
    if report.required(reader, ("Resource",), location):
        report.one_of(reader["Resource"], READER_RESOURCES, at(location, "Resource"))
    _check_payload(report, reader, location, language)
    if "ReaderConfig" not in reader:
        return
    where = at(location, "ReaderConfig")
    config = reader["ReaderConfig"]
    if not report.expect(config, "OBJECT", where):
        return
    _closed(report, config, _READER_CONFIG_FIELDS, where)
    if "InputType" in config:
        report.one_of(config["InputType"], ("CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"),
                      at(where, "InputType"))
    if "CSVHeaderLocation" in config:
        report.one_of(config["CSVHeaderLocation"], ("FIRST_ROW", "GIVEN"), at(where, "CSVHeaderLocation"))
    exclusive(report, config, "MaxItems", "MaxItemsPath", where)
    if "MaxItems" in config:
        number_or_expression(report, config["MaxItems"], at(where, "MaxItems"), language, "INTEGER", 0)
    if "MaxItemsPath" in config and language != JSONATA:
        check_path(report, config["MaxItemsPath"], at(where, "MaxItemsPath"), reference=True)


def _check_batcher(report: Report, batcher: object, location: str, language: str) -> None:
    if not report.expect(batcher, "OBJECT", location):
        return
    _closed(report, batcher, _BATCHER_FIELDS, location)
    for field, maximum in (("MaxItemsPerBatch", None), ("MaxInputBytesPerBatch", _MAX_BATCH_BYTES)):
        exclusive(report, batcher, field, field + "Path", location)
        if field in batcher:
            number_or_expression(report, batcher[field], at(location, field), language, "INTEGER", 1,
                                 maximum)
        if field + "Path" in batcher and language != JSONATA:
            check_path(report, batcher[field + "Path"], at(location, field + "Path"), reference=True)
    if "BatchInput" in batcher:
        if language == JSONATA:
            check_jsonata(report, batcher["BatchInput"], at(location, "BatchInput"))
        elif report.expect(batcher["BatchInput"], "OBJECT", at(location, "BatchInput")):
            check_template(report, batcher["BatchInput"], at(location, "BatchInput"))


def _check_writer(report: Report, writer: object, location: str, language: str) -> None:
    """A ResultWriter exports results (Resource with its destination) and/or shapes them (WriterConfig)."""
    if not report.expect(writer, "OBJECT", location):
        return
    _closed(report, writer, _WRITER_FIELDS, location)
    if "Resource" not in writer and "WriterConfig" not in writer:
        report.schema("At least one of these fields must be present: [Resource, WriterConfig]", location)
    if "Resource" in writer:
        report.one_of(writer["Resource"], WRITER_RESOURCES, at(location, "Resource"))
        own = "Arguments" if language == JSONATA else "Parameters"
        if own not in writer:
            report.schema(f"These fields are required: [{own}]", location)
    _check_payload(report, writer, location, language)
    if "WriterConfig" in writer:
        where = at(location, "WriterConfig")
        config = writer["WriterConfig"]
        if not report.expect(config, "OBJECT", where):
            return
        _closed(report, config, frozenset({"Transformation", "OutputType"}), where)
        if ("Transformation" in config) != ("OutputType" in config):
            report.schema("These fields must be present together: [Transformation, OutputType]", where)
        if "Transformation" in config:
            report.one_of(config["Transformation"], ("NONE", "COMPACT", "FLATTEN"),
                          at(where, "Transformation"))
        if "OutputType" in config:
            report.one_of(config["OutputType"], ("JSON", "JSONL"), at(where, "OutputType"))
