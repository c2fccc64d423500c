package dev.neobridge.example;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.neobridge.v1.AgentTasksServiceGrpc;
import dev.neobridge.v1.AgentTasksServiceGrpc.AgentTasksServiceBlockingStub;
import dev.neobridge.v1.CreateTaskRequest;
import dev.neobridge.v1.GetTaskRequest;
import dev.neobridge.v1.ListTasksRequest;
import dev.neobridge.v1.ListTasksResponse;
import dev.neobridge.v1.RespondToTaskRequest;
import dev.neobridge.v1.StreamTaskEventsRequest;
import dev.neobridge.v1.StreamTaskEventsResponse;
import dev.neobridge.v1.TaskEvent;
import dev.neobridge.v1.UserConfirmation;
import dev.neobridge.v1.UserEvent;
import dev.neobridge.v1.UserMessage;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * A neo-bridge client in Java: create a task, stream its events and approve what the agent asks,
 * list tasks page by page, and read a typed error.
 *
 * <p>Environment: NEO_BRIDGE_ADDR (host:port, plaintext), PULUMI_ACCESS_TOKEN, NEO_ORG.
 */
public final class NeoBridgeExample {
  private static final long UNARY_DEADLINE_SECONDS = 10;
  private static final long STREAM_DEADLINE_SECONDS = 120;

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final AgentTasksServiceBlockingStub stub;
  private final String org;

  NeoBridgeExample(ManagedChannel channel, String token, String org) {
    // Every call made through this stub carries the caller's Pulumi token.
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    this.stub =
        AgentTasksServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    this.org = org;
  }

  /**
   * The stub for one unary call. withDeadlineAfter fixes the deadline when it is called, so take a
   * fresh stub per call rather than keeping one.
   */
  private AgentTasksServiceBlockingStub unary() {
    return stub.withDeadlineAfter(UNARY_DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  String createTask(String prompt) {
    CreateTaskRequest request =
        CreateTaskRequest.newBuilder()
            .setOrg(org)
            .setMessage(
                UserEvent.newBuilder().setUserMessage(UserMessage.newBuilder().setContent(prompt)))
            .build();
    return unary().createTask(request).getTaskId();
  }

  void approve(String taskId, String approvalRequestId) {
    RespondToTaskRequest request =
        RespondToTaskRequest.newBuilder()
            .setOrg(org)
            .setTaskId(taskId)
            .setEvent(
                UserEvent.newBuilder()
                    .setUserConfirmation(
                        UserConfirmation.newBuilder()
                            .setApprovalRequestId(approvalRequestId)
                            .setOk(true)))
            .build();
    unary().respondToTask(request);
  }

  /**
   * Streams the task's events until the turn after the approval ends, answering the approval
   * request. When the connection goes away (a redeploy, a load balancer, the bridge's maximum
   * connection age) the stream fails with UNAVAILABLE: open it again after the last event seen, so
   * no event is missed or repeated.
   */
  void followConversation(String taskId) {
    Conversation conversation = new Conversation(taskId);
    while (true) {
      String why;
      try {
        if (streamOnce(conversation)) {
          return;
        }
        why = "ended"; // Cleanly, before the turn did (the bridge does not do that today).
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw e; // Anything else is not a dropped connection: give up.
        }
        why = "unavailable";
      }
      String after = conversation.lastEventId.isEmpty() ? "-" : conversation.lastEventId;
      System.out.printf("stream %s; resuming after %s%n", why, after);
    }
  }

  /**
   * Reads one StreamTaskEvents call. Returns true when the turn after the approval has ended;
   * throws StatusRuntimeException when the stream fails.
   */
  private boolean streamOnce(Conversation conversation) {
    StreamTaskEventsRequest request =
        StreamTaskEventsRequest.newBuilder()
            .setOrg(org)
            .setTaskId(conversation.taskId)
            .setLastEventId(conversation.lastEventId) // Empty: from the start.
            .build();
    // The call belongs to this cancellable context: cancelling it ends the call, which is how a
    // blocking stream is closed early.
    Context.CancellableContext streamContext = Context.current().withCancellation();
    Context previous = streamContext.attach();
    try {
      Iterator<StreamTaskEventsResponse> items =
          stub.withDeadlineAfter(STREAM_DEADLINE_SECONDS, TimeUnit.SECONDS)
              .streamTaskEvents(request);
      while (items.hasNext()) {
        StreamTaskEventsResponse item = items.next();
        if (!item.hasEvent()) {
          continue; // A heartbeat: it only keeps the stream open.
        }
        if (handleEvent(conversation, item.getEvent())) {
          return true;
        }
      }
      return false;
    } finally {
      streamContext.detach(previous);
      streamContext.cancel(null); // Ends the call if it is still open.
    }
  }

  /** Prints one event and acts on it. Returns true when it ends the turn after the approval. */
  private boolean handleEvent(Conversation conversation, TaskEvent event) {
    conversation.lastEventId = event.getId();
    System.out.printf(
        "event %s %s ends_turn=%s%n", event.getId(), event.getType(), event.getEndsTurn());
    String approvalRequestId = event.getApprovalRequestId();
    if (!approvalRequestId.isEmpty()) {
      System.out.println("approval requested " + approvalRequestId);
      approve(conversation.taskId, approvalRequestId);
      System.out.println("approved " + approvalRequestId);
      conversation.approved = true;
      return false;
    }
    if (conversation.approved && event.getEndsTurn()) {
      System.out.println("turn ended");
      return true;
    }
    return false;
  }

  /** Lists the organization's tasks two per page, following next_page_token to the end. */
  void listAllTasks() {
    int tasks = 0;
    int pages = 0;
    String pageToken = "";
    do {
      ListTasksResponse page =
          unary()
              .listTasks(
                  ListTasksRequest.newBuilder()
                      .setOrg(org)
                      .setPageSize(2)
                      .setPageToken(pageToken)
                      .build());
      pages++;
      tasks += page.getTasksCount();
      pageToken = page.getNextPageToken();
    } while (!pageToken.isEmpty());
    System.out.printf("listed %d tasks in %d pages%n", tasks, pages);
  }

  /**
   * Asks for a task that does not exist and decodes the rich error: the google.rpc.Status in the
   * grpc-status-details-bin trailer, and the google.rpc.ErrorInfo among its details.
   */
  void showTypedError() throws InvalidProtocolBufferException {
    try {
      unary().getTask(GetTaskRequest.newBuilder().setOrg(org).setTaskId("no-such-task").build());
    } catch (StatusRuntimeException e) {
      com.google.rpc.Status status = StatusProto.fromThrowable(e);
      if (status != null) {
        for (Any detail : status.getDetailsList()) {
          if (detail.is(ErrorInfo.class)) {
            ErrorInfo info = detail.unpack(ErrorInfo.class);
            System.out.printf(
                "error %s reason=%s domain=%s%n",
                e.getStatus().getCode().name(), info.getReason(), info.getDomain());
            return;
          }
        }
      }
      throw new IllegalStateException("GetTask failed without an ErrorInfo", e);
    }
    throw new IllegalStateException("GetTask of a missing task succeeded");
  }

  /** Where the event stream of one task stands. */
  private static final class Conversation {
    final String taskId;
    String lastEventId = "";
    boolean approved;

    Conversation(String taskId) {
      this.taskId = taskId;
    }
  }

  private static String env(String name) {
    String value = System.getenv(name);
    return value == null ? "" : value;
  }

  public static void main(String[] args) throws Exception {
    String address = env("NEO_BRIDGE_ADDR");
    String token = env("PULUMI_ACCESS_TOKEN");
    if (address.isEmpty() || token.isEmpty()) {
      System.err.println("set NEO_BRIDGE_ADDR (host:port) and PULUMI_ACCESS_TOKEN");
      System.exit(2);
    }
    ManagedChannel channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      NeoBridgeExample example = new NeoBridgeExample(channel, token, env("NEO_ORG"));

      String taskId = example.createTask("Deploy the web stack, but ask for my approval first.");
      System.out.println("created task " + taskId);
      example.followConversation(taskId);

      for (int i = 1; i <= 4; i++) {
        example.createTask("Listing example task " + i);
      }
      example.listAllTasks();
      example.showTypedError();
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      System.err.println(
          "neo-bridge call failed: " + status.getCode() + ": " + status.getDescription());
      System.exit(1);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
