"""EventBridge, locally: event patterns, target input rendering and schedules.

The modules here are pure (no I/O, no clock of their own): buses, rules,
targets and the APIs build on them.
"""
