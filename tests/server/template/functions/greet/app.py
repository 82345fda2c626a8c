"""Greets with the template's GREETING (an Environment variable resolved from a parameter)."""

import os


def handler(event, context):
    return {"id": event["id"], "message": f"{os.environ['GREETING']}, {event['name']}"}
