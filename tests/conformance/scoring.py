"""What a recorded case verified, so that the shared runner compares exactly that.

The runner (``../shared/conformance/tools/sfn_conformance.py``) normalizes and
compares an observation with a case's ``expected``. Three things the recording
did are not in the runner, and are applied here, on both sides, before
``evaluate``:

- normalizer presets the case names (``presets.py``);
- the paths the recording's own test did not verify (``source.skip_snapshot_verify``,
  unconditional rules only): dropped from the expectation and the observation alike.
  A skipped path that holds the result's ``output``/``error``/``cause`` where the
  expectation was read (DescribeExecution, or the history's terminal event)
  leaves that result field unverified too;
- what the recording observed: a case whose expectation came from
  GetExecutionHistory alone (``source.expected_from``) was normalized from the
  history alone. The runner then reads output, error and cause from the
  history's terminal event, but it normalizes the DescribeExecution fields too,
  first: a request id in DescribeExecution's cause would take the first
  ``<uuid:N>`` the recording gave to an earlier event. The observation keeps
  the status (which the history does not state) and the history.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.conformance.presets import with_presets

RESULT_FIELDS = ("output", "error", "cause")
# where the terminal history event of each outcome carries the result fields
_TERMINAL_DETAILS = {"SUCCEEDED": "executionSucceededEventDetails", "FAILED": "executionFailedEventDetails",
                     "TIMED_OUT": "executionTimedOutEventDetails", "ABORTED": "executionAbortedEventDetails"}


def as_recorded(case: dict, observation: dict) -> tuple[dict, dict]:
    """``(case, observation)`` for ``evaluate``, each reduced to what the recording verified."""
    case, observation = without_skipped(case, observation)
    observation = _as_observed(case, observation)
    return with_presets(case, observation), observation


def _from_history(case: dict) -> bool:
    """The runner's rule: an expectation recorded without DescribeExecution was read from the history."""
    source = (case.get("source") or {}).get("expected_from") or {}
    return "describe" not in source and "output" not in source


def _as_observed(case: dict, observation: dict) -> dict:
    """A history-only recording's observation: the status and the history, as the recording's snapshot held."""
    if not _from_history(case) or not observation.get("history"):
        return observation
    return {**observation, "describe": {"status": observation.get("status")}, **dict.fromkeys(RESULT_FIELDS)}


def _skipped_paths(case: dict) -> list[list[list[str]]]:
    """``$..a..b.c`` -> ``[["a"], ["b", "c"]]``: keys to drop, each group found at any depth below the last."""
    paths = []
    for rule in (case.get("source") or {}).get("skip_snapshot_verify") or []:
        if not rule.get("conditional"):
            paths += [[group.split(".") for group in p.removeprefix("$..").split("..")]
                      for p in rule.get("paths") or []]
    return paths


def _drop(value: Any, groups: list[list[str]]) -> Any:
    """``value`` without the path ``groups``; JSON text (event outputs) is looked into and re-encoded if changed."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        dropped = _drop(parsed, groups)
        return value if dropped == parsed else json.dumps(dropped, separators=(",", ":"))
    if isinstance(value, list):
        return [_drop(v, groups) for v in value]
    if not isinstance(value, dict):
        return value
    head, rest = groups[0], groups[1:]
    out = {}
    for key, child in value.items():
        if key == head[0] and len(head) == 1 and not rest:
            continue
        if key == head[0] and len(head) > 1:
            child = _drop(child, [head[1:], *rest]) if isinstance(child, dict) else child
        elif key == head[0] and rest:
            child = _drop(child, rest)
        out[key] = _drop(child, groups)
    return out


def _drop_path(document: dict, groups: list[list[str]], keys: tuple[str, ...]) -> None:
    """One skipped path out of ``document``'s ``keys``; a ``$..events..x`` path only out of its history."""
    if groups[0] == ["events"]:
        document["history"] = _drop(document.get("history"), groups[1:])
        return
    for key in keys:
        document[key] = _drop(document.get(key), groups)


def _unverified_results(case: dict, paths: list[list[list[str]]]) -> set[str]:
    """The result fields whose recorded value lies under a skipped path where the expectation was read: the
    DescribeExecution response, or the history's terminal event (``$..cause`` covers both)."""
    details = _TERMINAL_DETAILS.get(case["expected"].get("status")) if _from_history(case) else None
    if details:
        probe = {"history": [{details: dict.fromkeys(RESULT_FIELDS, "")}]}
    else:
        probe = {"describe": dict.fromkeys(RESULT_FIELDS, "")}
    for groups in paths:
        _drop_path(probe, groups, tuple(probe))
    kept = probe["history"][0].get(details) if details else probe["describe"]
    return set(RESULT_FIELDS).difference(kept or ())


def without_skipped(case: dict, observation: dict) -> tuple[dict, dict]:
    """Both sides without the paths the recording's test did not verify (``source.skip_snapshot_verify``)."""
    case, observation = copy.deepcopy(case), copy.deepcopy(observation)
    expected = case["expected"]
    paths = _skipped_paths(case)
    if [["events"]] in paths:  # the recording compared no history
        expected["history"] = observation["history"] = None
        paths = [groups for groups in paths if groups != [["events"]]]
    for key in _unverified_results(case, paths):
        expected[key] = observation[key] = None
        if isinstance(observation.get("describe"), dict):
            observation["describe"].pop(key, None)
    for groups in paths:
        _drop_path(expected, groups, ("output", "history"))
        _drop_path(observation, groups, ("output", "describe", "history"))
    return case, observation
