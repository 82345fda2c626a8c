"""The physical names and ARNs resources get when the stack is deployed locally.

CloudFormation invents names (``mlops-DataBucket-1x2y3z``); locally they must
be stable and readable, so an unnamed resource is ``<stack>-<logicalid>`` in
lower case (valid for S3 too), a function keeps its logical id (the name
``sam local invoke`` uses), so does a state machine (CloudFormation names one
``<LogicalId>-<random suffix>``: the logical id is that name without the
suffix, stable across restarts of ``asl serve --template``), and a name
property always wins.  Ref and GetAtt
answer from here, so every reference in the template agrees with what is
created in moto and registered in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The property that names a resource of each type, where the template may set it.
NAME_PROPERTY = {
    "AWS::Serverless::Function": "FunctionName", "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::StateMachine": "Name", "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Events::EventBus": "Name", "AWS::Events::Rule": "Name", "AWS::Events::Archive": "ArchiveName",
    "AWS::SNS::Topic": "TopicName", "AWS::SQS::Queue": "QueueName", "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName", "AWS::CloudWatch::Alarm": "AlarmName", "AWS::IAM::Role": "RoleName",
    "AWS::SageMaker::ModelPackageGroup": "ModelPackageGroupName", "AWS::EventSchemas::Registry": "RegistryName",
    "AWS::Pipes::Pipe": "Name",
}
_FUNCTIONS = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_STATE_MACHINES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")


@dataclass(frozen=True)
class Naming:
    stack: str
    region: str
    account: str

    def name(self, logical_id: str, kind: str, explicit: Any) -> str:
        if isinstance(explicit, str) and explicit:
            return explicit
        if kind in _FUNCTIONS or kind in _STATE_MACHINES or kind == "AWS::Events::Rule":
            return logical_id
        return f"{self.stack}-{logical_id.lower()}"

    def arn(self, kind: str, name: str, props: dict[str, Any]) -> str:
        r, a = self.region, self.account
        if kind in _FUNCTIONS:
            return f"arn:aws:lambda:{r}:{a}:function:{name}"
        if kind in _STATE_MACHINES:
            return f"arn:aws:states:{r}:{a}:stateMachine:{name}"
        if kind == "AWS::Events::Rule":
            bus = str(props.get("EventBusName") or "default").rsplit("/", 1)[-1]
            return f"arn:aws:events:{r}:{a}:rule/{name}" if bus == "default" else \
                f"arn:aws:events:{r}:{a}:rule/{bus}/{name}"
        simple = {
            "AWS::Events::EventBus": f"arn:aws:events:{r}:{a}:event-bus/{name}",
            "AWS::Events::Archive": f"arn:aws:events:{r}:{a}:archive/{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{r}:{a}:{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{r}:{a}:{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{r}:{a}:table/{name}",
            "AWS::CloudWatch::Alarm": f"arn:aws:cloudwatch:{r}:{a}:alarm:{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{a}:role/{name}",
            "AWS::SageMaker::ModelPackageGroup": f"arn:aws:sagemaker:{r}:{a}:model-package-group/{name}",
            "AWS::EventSchemas::Registry": f"arn:aws:schemas:{r}:{a}:registry/{name}",
            "AWS::Pipes::Pipe": f"arn:aws:pipes:{r}:{a}:pipe/{name}",
        }
        return simple.get(kind, f"arn:aws:cloudformation:{r}:{a}:resource/{name}")

    def ref(self, kind: str, name: str, props: dict[str, Any]) -> str:
        """What ``!Ref`` returns for the type: an ARN for some, a URL for queues, the name for the rest."""
        if kind in _STATE_MACHINES or kind in ("AWS::SNS::Topic", "AWS::SageMaker::ModelPackageGroup",
                                               "AWS::EventSchemas::Registry"):
            return self.arn(kind, name, props)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
        return name

    def get_att(self, kind: str, name: str, props: dict[str, Any], attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(kind, name, props)
        if attribute in ("Name", "TopicName", "QueueName", "RegistryName", "ModelPackageGroupName"):
            return name
        if attribute == "QueueUrl":
            return self.ref(kind, name, props)
        raise KeyError(f"GetAtt {attribute} of {kind} is not supported locally")
