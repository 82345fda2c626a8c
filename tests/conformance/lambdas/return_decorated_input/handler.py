def handler(event, context):
    return f"input-event-{event}"
