"""Starts the greeting machine with its own boto3 client, made at import as Lambda functions make them."""

import json
import os

import boto3

sfn = boto3.client("stepfunctions")


def handler(event, context):
    started = sfn.start_execution(stateMachineArn=os.environ["MACHINE_ARN"], input=json.dumps(event))
    return {"executionArn": started["executionArn"]}
