def handler(event, context):
    return b'"HelloWorld!"'
