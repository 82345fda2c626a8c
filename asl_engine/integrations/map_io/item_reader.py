"""A Distributed Map's ItemReader: the items come from S3 instead of the state input.

``arn:aws:states:::s3:getObject`` reads one object (``ReaderConfig.InputType``
JSON, JSONL, CSV, or MANIFEST for an S3 Inventory), ``s3:listObjectsV2`` lists
a bucket; ``ReaderConfig.MaxItems``/``MaxItemsPath`` keeps the first items.
The S3 calls go through the run's ClientFactory, off the event loop; a call S3
refuses is ``States.ItemReaderFailed``, which the Map Run reports.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from asl_engine.definition import model as m
from asl_engine.integrations.errors import ServiceFailure, sdk_error
from asl_engine.integrations.map_io import item_formats as formats
from asl_engine.query.jsonpath import compile_path
from asl_engine.query.payload import compile_payload
from asl_engine.runtime.dataflow_jsonata import ScopeTemplate, field_or_value
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.states.fields import read_count

_GET_OBJECT = "arn:aws:states:::s3:getObject"


class ItemReader:
    """A compiled ItemReader."""

    __slots__ = ("config", "max_items", "max_items_path", "parameters", "resource")

    def __init__(self, resource: str, parameters: Any, config: m.ReaderConfig, max_items: int | None,
                 max_items_path: Any) -> None:
        self.resource = resource
        self.parameters = parameters
        self.config = config
        self.max_items = max_items
        self.max_items_path = max_items_path

    @classmethod
    def compile(cls, reader: m.ItemReader, jsonata: bool) -> ItemReader:
        config = reader.reader_config or m.ReaderConfig()
        if jsonata:
            parameters = None if reader.arguments is None else ScopeTemplate(reader.arguments, "Arguments")
            max_items, max_items_path = field_or_value(config.max_items, "MaxItems")
        else:
            parameters = None if reader.parameters is None else compile_payload(reader.parameters, "Parameters")
            max_items = config.max_items
            max_items_path = compile_path(config.max_items_path) if config.max_items_path else None
        return cls(reader.resource, parameters, config, max_items, max_items_path)

    async def read(self, frame: Frame, effective: Any) -> list:
        """The items, at most MaxItems of them."""
        run = frame.run
        scope = frame.scope(effective)
        params = self.parameters.evaluate(scope, run.services) if self.parameters is not None else {}
        limit = self._limit(scope)
        s3 = run.resources.clients.client("s3", run.region)
        if self.resource == _GET_OBJECT:
            items = await self._from_object(s3, params, run.clock)
        else:
            items = await _s3(run.clock, _list_objects, s3, params)
        return items[:limit] if limit else items

    async def _from_object(self, s3: Any, params: dict, clock: Any) -> list:
        config = self.config
        input_type = config.input_type or "JSON"
        body = await _s3(clock, _get_body, s3, params)
        if input_type == "JSON":
            return formats.json_items(body)
        if input_type == "JSONL":
            return formats.jsonl_items(body)
        if input_type == "CSV":
            return formats.csv_items(body, config.csv_header_location or "FIRST_ROW", config.csv_headers,
                                     config.csv_delimiter or "COMMA")
        if input_type == "MANIFEST" and config.manifest_type in (None, "S3_INVENTORY"):
            bucket, keys, columns = formats.inventory_files(body)
            items: list = []
            for key in keys:
                data = await _s3(clock, _get_body, s3, {"Bucket": bucket, "Key": key})
                items += formats.inventory_items(data, columns)
            return items
        raise formats.reader_failed(f"asl-engine does not read InputType {input_type}"
                                    + (f" with ManifestType {config.manifest_type}" if config.manifest_type else ""))

    def _limit(self, scope: Any) -> int | None:
        if self.max_items_path is None:
            return self.max_items  # type: ignore[return-value]
        return read_count(self.max_items_path, "MaxItemsPath", scope)


async def _s3(clock: Any, call: Callable[..., Any], *args: Any) -> Any:
    """One S3 round trip in a worker thread; S3's refusal is the Map Run's States.ItemReaderFailed."""
    try:
        with clock.busy():
            return await asyncio.to_thread(call, *args)
    except ClientError as exc:
        raise formats.reader_failed(sdk_error("S3", ServiceFailure.from_client_error(exc), True).cause) from None
    except BotoCoreError as exc:  # parameters boto3 cannot send (no Bucket...)
        raise formats.reader_failed(str(exc)) from None


def _get_body(s3: Any, params: dict) -> bytes:
    return s3.get_object(**params)["Body"].read()


def _list_objects(s3: Any, params: dict) -> list:
    items: list = []
    request = dict(params)
    while True:
        page = s3.list_objects_v2(**request)
        items += [formats.listed_object(entry) for entry in page.get("Contents", ())]
        if not page.get("IsTruncated"):
            return items
        request["ContinuationToken"] = page["NextContinuationToken"]
