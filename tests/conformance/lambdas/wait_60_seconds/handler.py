import asyncio


async def handler(event, context):
    # a coroutine handler sleeps on the execution's clock: a VirtualClock makes the minute instant
    await asyncio.sleep(60)
    return event
