"""Formats the promotion decision as the message the team's topic would receive."""

from __future__ import annotations

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"subject": f"Model promotion: {event['decision']}",
            "message": f"{event['model_name']} scored {event['score']} (baseline {event['baseline']})"}
