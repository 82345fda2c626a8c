"""A SAM ``template.yaml`` read as CloudFormation would deploy it, for the local stack.

``load_application(path)`` resolves the intrinsics the template uses
(Ref, GetAtt, Sub, Join, Select, Split, If with Conditions) against stand-in
physical names, merges ``Globals`` and returns what the local runtime needs:
functions, state machines, buses, rules, schedules, archives and the plain
resources (tables, queues, topics, buckets, alarms) to create in moto.
"""

from asl_engine.sam.application import Application, load_application
from asl_engine.sam.model import Archive, Function, Rule, Schedule, StateMachineSpec, TemplateError

__all__ = ["Application", "Archive", "Function", "Rule", "Schedule", "StateMachineSpec", "TemplateError",
           "load_application"]
