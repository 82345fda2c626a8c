"""How a Distributed Map's ItemReader turns an S3 object into items (``ReaderConfig.InputType``).

Pure functions on the object's bytes, so every format is tested without S3.
A content AWS cannot map over is ``States.ItemReaderFailed`` with AWS's cause
where one is known.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from typing import Any

from asl_engine.errors import StatesError

ITEM_READER_FAILED = "States.ItemReaderFailed"
CSV_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def reader_failed(cause: str) -> StatesError:
    return StatesError(ITEM_READER_FAILED, cause)


def json_items(body: bytes) -> list:
    """InputType JSON: the object is one JSON array."""
    try:
        items = json.loads(_text(body))
    except ValueError as e:
        raise reader_failed(f"The object is not valid JSON: {e}") from None
    if not isinstance(items, list):
        raise reader_failed("Attempting to map over non-iterable node.")  # AWS's cause (as LocalStack records it)
    return items


def jsonl_items(body: bytes) -> list:
    """InputType JSONL: one JSON value per non-blank line."""
    items = []
    for number, line in enumerate(_text(body).splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except ValueError as e:
                raise reader_failed(f"Line {number} of the object is not valid JSON: {e}") from None
    return items


def csv_items(body: bytes, header_location: str = "FIRST_ROW", headers: tuple[str, ...] | None = None,
              delimiter: str = "COMMA") -> list[dict[str, str]]:
    """InputType CSV: one object per row, keyed by the headers; every value is a string.

    A row shorter than the headers gets "" for the missing cells; cells past
    the last header are dropped.
    """
    rows = _csv_rows(_text(body), CSV_DELIMITERS[delimiter])
    if header_location == "GIVEN":
        names = list(headers or ())
    else:
        names = next(rows, None)
        if names is None:
            raise reader_failed("The CSV file is empty: it has no header row.")
    if len(set(names)) < len(names):
        raise reader_failed("CSV headers cannot contain duplicates.")  # AWS's cause (as LocalStack records it)
    items = [{name: row[i] if i < len(row) else "" for i, name in enumerate(names)} for row in rows]
    if not items and header_location != "GIVEN":
        raise reader_failed("The CSV file contains only CSV headers and no data rows.")
    return items


def inventory_files(manifest_body: bytes) -> tuple[str, list[str], list[str]]:
    """An S3 Inventory ``manifest.json``: (destination bucket, data file keys, column names)."""
    try:
        manifest = json.loads(_text(manifest_body))
        bucket = manifest["destinationBucket"].split(":::")[-1]
        keys = [f["key"] for f in manifest["files"]]
        columns = [c.strip() for c in manifest["fileSchema"].split(",")]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise reader_failed(f"The object is not an S3 Inventory manifest: {type(e).__name__}: {e}") from None
    if manifest.get("fileFormat", "CSV") != "CSV":
        raise reader_failed(f"Unsupported S3 Inventory file format: {manifest.get('fileFormat')}")
    return bucket, keys, columns


def inventory_items(body: bytes, columns: list[str]) -> list[dict[str, str]]:
    """One S3 Inventory data file (CSV, usually gzipped, no header row): one object per listed object."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return csv_items(body, "GIVEN", tuple(columns))


def listed_object(entry: dict[str, Any]) -> dict[str, Any]:
    """A ListObjectsV2 ``Contents`` entry as the item AWS hands the iteration."""
    modified = entry.get("LastModified")
    return {"Etag": entry.get("ETag"), "Key": entry.get("Key"),
            "LastModified": int(modified.timestamp()) if hasattr(modified, "timestamp") else modified,
            "Size": entry.get("Size"), "StorageClass": entry.get("StorageClass")}


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    return (row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row)


def _text(body: bytes) -> str:
    return body.decode("utf-8-sig", "replace")
