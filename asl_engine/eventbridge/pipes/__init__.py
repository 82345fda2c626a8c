"""EventBridge Pipes, locally: a source polled on the clock, filtered, enriched, delivered to one target.

``service.Pipes`` is the Pipes API (CreatePipe ... StopPipe) with AWS's JSON
shapes; ``supervisor.PipeSupervisor`` runs a ``poller.PipePoller`` task for
each RUNNING pipe; ``processing.PipeProcessor`` is one batch's way through the
pipe (filter, enrichment, target input, target); ``sources`` picks the source
(``sqs.SqsSource``, or ``streams`` for Kinesis and DynamoDB Streams). Calls out
of the pipe go through an injected ``environment.PipeEnvironment``, so the
same code runs in unit tests and in ``asl serve``.
"""
