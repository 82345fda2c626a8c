def handler(event, context):
    return b"a" * (257 * 1024)
