"""How a user unit-tests a workflow with the asl-engine pytest plugin.

The plugin's ``asl_run`` fixture runs the state machine on a virtual clock
(retry backoffs take no real time) against an empty moto backend; Task
states are answered by a Step Functions Local MockConfigFile test case, by
Python overrides, or by the real (moto) service when nothing mocks them.
"""

from datetime import timedelta
from pathlib import Path

from asl_engine.integrations.mocks import Throw

HERE = Path(__file__).parent
WORKFLOW = HERE / "order_workflow.asl.json"
MOCKS = HERE / "MockConfigFile.json"
ORDER = {"orderId": "order-1", "shipmentQueue": "https://sqs.us-east-1.amazonaws.com/123456789012/shipments"}


def test_happy_path_from_the_mock_config_file(asl_run):
    execution = asl_run(WORKFLOW, ORDER, mock_config=MOCKS, test_case="HappyPath")

    assert execution.status == "SUCCEEDED"
    assert execution.output["charge"] == {"charged": True}
    assert execution.state_output("QueueShipment")["shipment"] == {"messageId": "4f1c2b9e-0000-4000-8000-000000000001"}
    assert execution.path == ["ChargeCard", "QueueShipment"]


def test_retries_use_the_next_mocked_responses(asl_run):
    execution = asl_run(WORKFLOW, ORDER, mock_config=MOCKS, test_case="ThrottledTwice")

    assert execution.status == "SUCCEEDED"
    assert [e["taskFailedEventDetails"]["error"] for e in execution.events_of("TaskFailed")] == [
        "Lambda.TooManyRequestsException", "Lambda.TooManyRequestsException"]
    assert execution.stop_date - execution.start_date == timedelta(seconds=2 + 4)  # backoff, on the virtual clock


def test_a_mocked_error_is_caught(asl_run):
    execution = asl_run(WORKFLOW, ORDER, mock_config=MOCKS, test_case="CardDeclined")

    assert (execution.status, execution.error) == ("FAILED", "PaymentFailed")
    assert execution.state_input("PaymentFailed")["error"] == {"Error": "CardDeclined", "Cause": "Insufficient funds"}


def test_python_overrides(asl_run):
    sent = []

    def queue(payload):  # a stand-in that sees what the state sends
        sent.append(payload["MessageBody"])
        return {"MessageId": "m-1"}

    execution = asl_run(WORKFLOW, ORDER, name="OrderWorkflow",
                        overrides={"ChargeCard": {"StatusCode": 200, "Payload": {"charged": True}},
                                   "QueueShipment": queue})

    assert execution.output["shipment"] == {"messageId": "m-1"}
    assert sent == ["order-1"]


def test_an_override_can_fail_a_state(asl_run):
    execution = asl_run(WORKFLOW, ORDER, name="OrderWorkflow",
                        overrides={"ChargeCard": Throw("States.Timeout", "")})

    assert execution.error == "PaymentFailed"
    assert len(execution.events_of("TaskScheduled")) == 1  # States.Timeout is not retried here


def test_unmocked_states_call_moto(asl_run, asl_aws):
    queue_url = asl_aws.client("sqs").create_queue(QueueName="shipments")["QueueUrl"]

    execution = asl_run(WORKFLOW, {**ORDER, "shipmentQueue": queue_url}, mock_config=MOCKS, test_case="RealQueue")

    assert execution.status == "SUCCEEDED", execution.cause
    message = asl_aws.client("sqs").receive_message(QueueUrl=queue_url)["Messages"][0]
    assert message["Body"] == "order-1"
