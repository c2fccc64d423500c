// neo-bridge client example: creates a task, follows its event stream
// (resuming it whenever the bridge closes the connection), approves what the
// agent asks, pages through the task list and decodes a rich error.
//
// Env: NEO_BRIDGE_ADDR (host:port, plaintext), PULUMI_ACCESS_TOKEN, NEO_ORG.
import { status } from "@grpc/grpc-js";
import type { StreamTaskEventsResponse } from "../gen/neobridge/v1/agent_tasks_service";
import type { TaskEvent } from "../gen/neobridge/v1/event";
import { NeoBridge } from "./bridge";
import { describeError, errorInfo, richStatus } from "./errors";
import { codeName, isServiceError } from "./rpc";

async function main(): Promise<void> {
  const bridge = new NeoBridge(
    requireEnv("NEO_BRIDGE_ADDR"),
    requireEnv("PULUMI_ACCESS_TOKEN"),
    requireEnv("NEO_ORG"),
  );
  try {
    const taskId = await bridge.createTask(
      "Deploy the web stack, but ask for my approval first.",
    );
    console.log(`created task ${taskId}`);
    await approveAndFinishTurn(bridge, taskId);

    for (let n = 1; n <= 4; n++) {
      await bridge.createTask(`Listing example task ${n}`);
    }
    const { tasks, pages } = await countTasks(bridge, 2);
    console.log(`listed ${tasks} tasks in ${pages} pages`);

    await showNotFoundError(bridge);
  } finally {
    bridge.close();
  }
}

/**
 * Follows the task's events until the agent's turn ends after it was
 * approved, answering the approval request on the way.
 */
async function approveAndFinishTurn(
  bridge: NeoBridge,
  taskId: string,
): Promise<void> {
  let approved = false;
  for await (const event of taskEvents(bridge, taskId)) {
    console.log(`event ${event.id} ${event.type} ends_turn=${event.endsTurn}`);
    if (event.approvalRequestId) {
      console.log(`approval requested ${event.approvalRequestId}`);
      await bridge.approve(taskId, event.approvalRequestId);
      console.log(`approved ${event.approvalRequestId}`);
      approved = true;
    } else if (event.endsTurn && approved) {
      console.log("turn ended");
      return; // leaving the loop cancels the stream
    }
  }
  throw new Error("the event stream ended before the agent's turn did");
}

/**
 * Yields a task's events from the start, each once. The bridge closes every
 * connection after a while, failing the stream with UNAVAILABLE; then this
 * opens a new stream that resumes after the last event yielded.
 */
async function* taskEvents(
  bridge: NeoBridge,
  taskId: string,
): AsyncGenerator<TaskEvent> {
  let lastEventId = "";
  for (;;) {
    const call = bridge.streamTaskEvents(taskId, lastEventId);
    try {
      // A grpc-js stream is a Node Readable, which types its items as any.
      const responses: AsyncIterable<StreamTaskEventsResponse> = call;
      for await (const { event } of responses) {
        if (!event) continue; // a heartbeat: it keeps proxies from timing out
        lastEventId = event.id;
        yield event;
      }
      return; // the bridge ended the stream normally
    } catch (error) {
      // Only errors of the stream land here: an error thrown by the code
      // consuming this generator ends it at its `yield`, running `finally`.
      if (!isServiceError(error) || error.code !== status.UNAVAILABLE) {
        throw error;
      }
      console.log(`stream unavailable; resuming after ${lastEventId || "-"}`);
    } finally {
      call.cancel(); // a no-op when the call already ended
    }
  }
}

/** Pages through the organization's tasks, `pageSize` at a time. */
async function countTasks(
  bridge: NeoBridge,
  pageSize: number,
): Promise<{ tasks: number; pages: number }> {
  let tasks = 0;
  let pages = 0;
  let pageToken = "";
  do {
    const page = await bridge.listTasks(pageSize, pageToken);
    tasks += page.tasks.length;
    pages++;
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { tasks, pages };
}

/** Asks for a task that does not exist and prints the error's details. */
async function showNotFoundError(bridge: NeoBridge): Promise<void> {
  try {
    await bridge.getTask("no-such-task");
  } catch (error) {
    if (!isServiceError(error)) throw error;
    const rpcStatus = richStatus(error);
    const info = rpcStatus && errorInfo(rpcStatus);
    console.log(
      `error ${codeName(error.code)} reason=${info?.reason ?? "-"} domain=${info?.domain ?? "-"}`,
    );
    return;
  }
  throw new Error("GetTask(no-such-task) succeeded; expected NOT_FOUND");
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see README.md)`);
  return value;
}

main().catch((error: unknown) => {
  console.error(`neo-bridge example: ${describeError(error)}`);
  process.exitCode = 1;
});
