"""A neo-bridge client: drives one Pulumi Neo agent task end to end over gRPC.

It creates a task that asks for approval, follows the task's event stream
(resuming it whenever the connection drops), approves the request, waits for
the agent's turn to end, pages through the organization's tasks, and reads
the rich error details (google.rpc.ErrorInfo) of a failed call.

Configuration comes from the environment:
  NEO_BRIDGE_ADDR      host:port of neo-bridge, plaintext gRPC
                       (default 127.0.0.1:50051, where ./demo.sh starts it)
  PULUMI_ACCESS_TOKEN  your token, sent as `authorization: Bearer <token>`
  NEO_ORG              the Pulumi organization (empty: the bridge's default)
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from neobridge.v1 import agent_tasks_service_pb2 as service_pb2
from neobridge.v1 import agent_tasks_service_pb2_grpc as service_grpc
from neobridge.v1 import event_pb2

# Deadline of each unary call.
UNARY_TIMEOUT_S = 10.0
# Deadline of the whole conversation on the event stream, across resumes.
STREAM_TIMEOUT_S = 120.0
# Longest pause between two attempts to reopen a failing stream.
MAX_RESUME_BACKOFF_S = 2.0


class ExampleError(Exception):
    """Something other than a failed RPC went wrong."""


@dataclass(frozen=True)
class Bridge:
    """The service stub plus what every call sends: the org and the token."""

    stub: service_grpc.AgentTasksServiceStub
    org: str
    metadata: tuple[tuple[str, str], ...]


def connect(channel: grpc.Channel, token: str, org: str) -> Bridge:
    return Bridge(
        stub=service_grpc.AgentTasksServiceStub(channel),
        org=org,
        metadata=(("authorization", f"Bearer {token}"),),
    )


def create_task(bridge: Bridge, content: str) -> str:
    """Starts a task with a first user message; returns its id."""
    request = service_pb2.CreateTaskRequest(
        org=bridge.org,
        message=event_pb2.UserEvent(
            user_message=event_pb2.UserMessage(content=content)
        ),
    )
    response = bridge.stub.CreateTask(
        request, metadata=bridge.metadata, timeout=UNARY_TIMEOUT_S
    )
    return response.task_id


def approve(bridge: Bridge, task_id: str, approval_request_id: str) -> None:
    """Answers the agent's approval request with yes."""
    request = service_pb2.RespondToTaskRequest(
        org=bridge.org,
        task_id=task_id,
        event=event_pb2.UserEvent(
            user_confirmation=event_pb2.UserConfirmation(
                approval_request_id=approval_request_id, ok=True
            )
        ),
    )
    bridge.stub.RespondToTask(
        request, metadata=bridge.metadata, timeout=UNARY_TIMEOUT_S
    )


def task_events(
    bridge: Bridge, task_id: str, deadline: float
) -> Iterator[event_pb2.TaskEvent]:
    """Yields a task's events from the first one on, each exactly once.

    Connections do not last forever (neo-bridge closes each one after a
    maximum age), so the stream ends with UNAVAILABLE now and then. We then
    open it again with last_event_id set to the last event yielded, and the
    bridge sends only the events after it. Any other error is raised. Closing
    the generator cancels the stream.
    """
    last_event_id = ""
    backoff_s = 0.0
    while True:
        request = service_pb2.StreamTaskEventsRequest(
            org=bridge.org, task_id=task_id, last_event_id=last_event_id
        )
        stream = bridge.stub.StreamTaskEvents(
            request,
            metadata=bridge.metadata,
            timeout=max(deadline - time.monotonic(), 0.0),
        )
        try:
            for response in stream:
                # Heartbeats only keep an idle stream open through proxies.
                if response.WhichOneof("item") != "event":
                    continue
                last_event_id = response.event.id
                backoff_s = 0.0
                yield response.event
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNAVAILABLE:
                raise
            print(f"stream unavailable; resuming after {last_event_id or '-'}")
        else:
            # The bridge ends a stream cleanly only when the upstream does,
            # which it does not while the task lives.
            raise ExampleError("the event stream ended before the turn did")
        finally:
            stream.cancel()  # does nothing if the call is already over
        # Resume at once after a drop that followed progress; back off while
        # reopening keeps failing (e.g. the upstream is down).
        time.sleep(backoff_s)
        backoff_s = min(max(2 * backoff_s, 0.1), MAX_RESUME_BACKOFF_S)


def follow_until_turn_ends(bridge: Bridge, task_id: str) -> None:
    """Prints the task's events, approves the agent's approval request, and
    returns once a turn ends after that approval."""
    approved = False
    deadline = time.monotonic() + STREAM_TIMEOUT_S
    with contextlib.closing(task_events(bridge, task_id, deadline)) as events:
        for event in events:
            ends_turn = "true" if event.ends_turn else "false"
            print(f"event {event.id} {event.type} ends_turn={ends_turn}")
            if event.approval_request_id:
                # The request ends the agent's turn too: it waits for us.
                print(f"approval requested {event.approval_request_id}")
                approve(bridge, task_id, event.approval_request_id)
                print(f"approved {event.approval_request_id}")
                approved = True
            elif event.ends_turn and approved:
                print("turn ended")
                return  # leaving the with block cancels the stream


def count_tasks(bridge: Bridge, page_size: int) -> tuple[int, int]:
    """Pages through the org's tasks; returns (tasks, pages)."""
    tasks = pages = 0
    page_token = ""
    while True:
        request = service_pb2.ListTasksRequest(
            org=bridge.org, page_size=page_size, page_token=page_token
        )
        page = bridge.stub.ListTasks(
            request, metadata=bridge.metadata, timeout=UNARY_TIMEOUT_S
        )
        tasks += len(page.tasks)
        pages += 1
        page_token = page.next_page_token
        if not page_token:
            return tasks, pages


def error_info(err: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The google.rpc.ErrorInfo of a failed call, if it has one.

    neo-bridge puts a google.rpc.Status in the `grpc-status-details-bin`
    trailer of every failure; rpc_status.from_call decodes it. Its details are
    google.protobuf.Any messages: ErrorInfo always, BadRequest for invalid
    requests.
    """
    status = rpc_status.from_call(err)
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


def show_not_found_error(bridge: Bridge) -> None:
    """Gets a task that does not exist and prints why it failed."""
    request = service_pb2.GetTaskRequest(org=bridge.org, task_id="no-such-task")
    try:
        bridge.stub.GetTask(request, metadata=bridge.metadata, timeout=UNARY_TIMEOUT_S)
    except grpc.RpcError as err:
        info = error_info(err)
        if err.code() != grpc.StatusCode.NOT_FOUND or info is None:
            raise
        # Branch on info.reason, a stable identifier, not on the message.
        print(f"error {err.code().name} reason={info.reason} domain={info.domain}")
        return
    raise ExampleError("GetTask found a task that should not exist")


def describe(err: grpc.RpcError) -> str:
    """One line about a failed call, for humans."""
    text = f"{err.code().name}: {err.details()}"
    info = error_info(err)
    if info is not None:
        text += f" (reason={info.reason} domain={info.domain})"
    return text


def run(bridge: Bridge) -> None:
    task_id = create_task(
        bridge, "Deploy the web stack, but ask for my approval first."
    )
    print(f"created task {task_id}")
    follow_until_turn_ends(bridge, task_id)

    for n in range(1, 5):
        create_task(bridge, f"Listing example task {n}")
    tasks, pages = count_tasks(bridge, page_size=2)
    print(f"listed {tasks} tasks in {pages} pages")

    show_not_found_error(bridge)


def main() -> int:
    address = os.environ.get("NEO_BRIDGE_ADDR", "127.0.0.1:50051")
    token = os.environ.get("PULUMI_ACCESS_TOKEN", "")
    org = os.environ.get("NEO_ORG", "")
    if not token:
        print("neo_example: set PULUMI_ACCESS_TOKEN", file=sys.stderr)
        return 2

    # Plaintext, as neo-bridge listens by default; with TLS use
    # grpc.secure_channel(address, grpc.ssl_channel_credentials(...)).
    with grpc.insecure_channel(address) as channel:
        try:
            run(connect(channel, token, org))
        except grpc.RpcError as err:
            print(f"neo_example: call failed: {describe(err)}", file=sys.stderr)
            return 1
        except ExampleError as err:
            print(f"neo_example: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
