"""EventBridge, locally: event patterns, target input, schedules, and the service built on them.

The pure core has no I/O and no clock of its own: ``patterns`` (validation and
the per-bus matcher), ``transform`` (what a target receives), ``schedule``
(rate/cron/at and fire times).

The service layer runs on an injected clock (``timers``) and injected target
invokers: ``service.EventBridge`` (buses, rules, targets, PutEvents,
TestEventPattern, archives and replays, scheduled rules), ``scheduler.Scheduler``
(EventBridge Scheduler), ``delivery`` (retries and dead-letter queues),
``invokers`` (Step Functions, Lambda, SQS, SNS, Logs, Batch, SageMaker, API
destinations, buses, universal targets) and ``archive`` (SQLite). Every
operation takes and returns the AWS JSON API's shapes, so an HTTP front end
only routes.

``pipes`` (EventBridge Pipes: SQS, Kinesis and DynamoDB stream sources,
filters, enrichment, targets) and ``schemas`` (the schema registry and
discovery) follow the same rule; ``asl_engine.server`` serves all of them.
"""
