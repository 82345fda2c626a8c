"""The EventBridge schema registry, locally: registries, versioned schemas, and discovery from a bus.

``service.Schemas`` is the Schemas API with AWS's JSON shapes; ``content``
checks OpenApi3 and JSONSchemaDraft4 documents; ``discovery`` infers the
schema of an event as EventBridge's discoverers do (``source@DetailType`` in
the ``discovered-schemas`` registry, an OpenAPI 3 document with an
``AWSEvent`` root).
"""
