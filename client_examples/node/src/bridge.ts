// A thin typed wrapper around the generated AgentTasksService client: every
// call carries the caller's token and organization and has a deadline.
import {
  credentials,
  Metadata,
  type ClientReadableStream,
} from "@grpc/grpc-js";
import {
  AgentTasksServiceClient,
  CreateTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  RespondToTaskRequest,
  StreamTaskEventsRequest,
  type ListTasksResponse,
  type StreamTaskEventsResponse,
} from "../gen/neobridge/v1/agent_tasks_service";
import type { Task } from "../gen/neobridge/v1/task";
import { deadlineIn, unaryCall, type UnaryMethod } from "./rpc";

const UNARY_DEADLINE_MS = 10_000;
// Per stream call: a resumed stream gets a fresh deadline.
const STREAM_DEADLINE_MS = 120_000;

export class NeoBridge {
  private readonly client: AgentTasksServiceClient;

  /**
   * @param address host:port of a plaintext neo-bridge listener
   * @param token a Pulumi access token, sent as `authorization: Bearer …`
   * @param org the organization every request names
   */
  constructor(
    address: string,
    private readonly token: string,
    private readonly org: string,
  ) {
    // Plaintext, as on loopback; use credentials.createSsl() for a TLS bridge.
    this.client = new AgentTasksServiceClient(
      address,
      credentials.createInsecure(),
    );
  }

  /** Creates a task from a first user message; resolves to its id. */
  async createTask(content: string): Promise<string> {
    const request = CreateTaskRequest.fromPartial({
      org: this.org,
      message: { userMessage: { content } },
    });
    const response = await this.unary(this.client.createTask, request);
    return response.taskId;
  }

  /** Answers an approval request with "ok". */
  async approve(taskId: string, approvalRequestId: string): Promise<void> {
    const request = RespondToTaskRequest.fromPartial({
      org: this.org,
      taskId,
      event: { userConfirmation: { approvalRequestId, ok: true } },
    });
    await this.unary(this.client.respondToTask, request);
  }

  /** Lists one page of the organization's tasks. */
  listTasks(pageSize: number, pageToken: string): Promise<ListTasksResponse> {
    const request = ListTasksRequest.fromPartial({
      org: this.org,
      pageSize,
      pageToken,
    });
    return this.unary(this.client.listTasks, request);
  }

  /** Gets one task. */
  async getTask(taskId: string): Promise<Task | undefined> {
    const request = GetTaskRequest.fromPartial({ org: this.org, taskId });
    const response = await this.unary(this.client.getTask, request);
    return response.task;
  }

  /**
   * Opens a stream of a task's events after `lastEventId` (empty: from the
   * start). The caller iterates it with `for await` and must cancel() it.
   */
  streamTaskEvents(
    taskId: string,
    lastEventId: string,
  ): ClientReadableStream<StreamTaskEventsResponse> {
    const request = StreamTaskEventsRequest.fromPartial({
      org: this.org,
      taskId,
      lastEventId,
    });
    return this.client.streamTaskEvents(
      request,
      this.metadata(),
      deadlineIn(STREAM_DEADLINE_MS),
    );
  }

  close(): void {
    this.client.close();
  }

  private unary<Request, Response>(
    method: UnaryMethod<Request, Response>,
    request: Request,
  ): Promise<Response> {
    return unaryCall(
      method.bind(this.client),
      request,
      this.metadata(),
      deadlineIn(UNARY_DEADLINE_MS),
    );
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${this.token}`);
    return metadata;
  }
}
