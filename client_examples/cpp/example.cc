// A neo-bridge client in C++: create a task, stream its events and approve
// what the agent asks, list tasks page by page, and read a typed error.
//
// Environment: NEO_BRIDGE_ADDR (host:port), PULUMI_ACCESS_TOKEN, NEO_ORG.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

namespace {

namespace v1 = ::neobridge::v1;

constexpr auto kUnaryDeadline = std::chrono::seconds(10);
constexpr auto kStreamDeadline = std::chrono::seconds(120);

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

[[noreturn]] void Fail(const std::string& what, const grpc::Status& status) {
  std::cerr << what << " failed: " << status.error_code() << " "
            << status.error_message() << "\n";
  std::exit(1);
}

// gRPC's canonical name of a status code, e.g. "NOT_FOUND".
const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "OTHER";
  }
}

class Example {
 public:
  Example(std::shared_ptr<grpc::Channel> channel, std::string token,
          std::string org)
      : stub_(v1::AgentTasksService::NewStub(std::move(channel))),
        token_(std::move(token)),
        org_(std::move(org)) {}

  // Every call carries the caller's Pulumi token and a deadline.
  void Prepare(grpc::ClientContext& context,
               std::chrono::seconds deadline = kUnaryDeadline) const {
    context.AddMetadata("authorization", "Bearer " + token_);
    context.set_deadline(std::chrono::system_clock::now() + deadline);
  }

  std::string CreateTask(const std::string& prompt) {
    v1::CreateTaskRequest request;
    request.set_org(org_);
    request.mutable_message()->mutable_user_message()->set_content(prompt);
    v1::CreateTaskResponse response;
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = stub_->CreateTask(&context, request, &response);
    if (!status.ok()) Fail("CreateTask", status);
    return response.task_id();
  }

  void Approve(const std::string& task_id, const std::string& request_id) {
    v1::RespondToTaskRequest request;
    request.set_org(org_);
    request.set_task_id(task_id);
    v1::UserConfirmation* confirmation =
        request.mutable_event()->mutable_user_confirmation();
    confirmation->set_approval_request_id(request_id);
    confirmation->set_ok(true);
    v1::RespondToTaskResponse response;
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = stub_->RespondToTask(&context, request, &response);
    if (!status.ok()) Fail("RespondToTask", status);
  }

  // Streams the task's events until the turn after the approval ends,
  // answering the approval request and resuming after UNAVAILABLE.
  void FollowConversation(const std::string& task_id) {
    std::string last_event_id;
    bool approved = false;
    while (true) {
      v1::StreamTaskEventsRequest request;
      request.set_org(org_);
      request.set_task_id(task_id);
      request.set_last_event_id(last_event_id);  // Empty: from the start.
      grpc::ClientContext context;
      Prepare(context, kStreamDeadline);
      auto reader = stub_->StreamTaskEvents(&context, request);
      v1::StreamTaskEventsResponse item;
      bool turn_ended = false;
      while (!turn_ended && reader->Read(&item)) {
        if (!item.has_event()) continue;  // A heartbeat.
        const v1::TaskEvent& event = item.event();
        last_event_id = event.id();
        std::printf("event %s %s ends_turn=%s\n", event.id().c_str(),
                    event.type().c_str(), event.ends_turn() ? "true" : "false");
        if (!event.approval_request_id().empty()) {
          std::printf("approval requested %s\n",
                      event.approval_request_id().c_str());
          Approve(task_id, event.approval_request_id());
          std::printf("approved %s\n", event.approval_request_id().c_str());
          approved = true;
        } else if (approved && event.ends_turn()) {
          std::printf("turn ended\n");
          turn_ended = true;
        }
        std::fflush(stdout);
      }
      if (turn_ended) {
        context.TryCancel();
        reader->Finish();
        return;
      }
      grpc::Status status = reader->Finish();
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
        Fail("StreamTaskEvents", status);
      }
      // The connection went away (a redeploy, a load balancer): go on
      // from the last event seen, so none is missed or repeated.
      std::printf("stream unavailable; resuming after %s\n",
                  last_event_id.empty() ? "-" : last_event_id.c_str());
    }
  }

  void ListAllTasks() {
    int tasks = 0;
    int pages = 0;
    std::string page_token;
    do {
      v1::ListTasksRequest request;
      request.set_org(org_);
      request.set_page_size(2);
      request.set_page_token(page_token);
      v1::ListTasksResponse response;
      grpc::ClientContext context;
      Prepare(context);
      grpc::Status status = stub_->ListTasks(&context, request, &response);
      if (!status.ok()) Fail("ListTasks", status);
      ++pages;
      tasks += response.tasks_size();
      page_token = response.next_page_token();
    } while (!page_token.empty());
    std::printf("listed %d tasks in %d pages\n", tasks, pages);
  }

  // Asks for a task that does not exist and decodes the rich error.
  void ShowTypedError() {
    v1::GetTaskRequest request;
    request.set_org(org_);
    request.set_task_id("no-such-task");
    v1::GetTaskResponse response;
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = stub_->GetTask(&context, request, &response);
    if (status.ok()) {
      std::cerr << "GetTask of a missing task succeeded\n";
      std::exit(1);
    }
    google::rpc::Status details;
    details.ParseFromString(status.error_details());
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info)) {
        std::printf("error %s reason=%s domain=%s\n",
                    CodeName(status.error_code()), info.reason().c_str(),
                    info.domain().c_str());
        return;
      }
    }
    Fail("GetTask (no ErrorInfo)", status);
  }

 private:
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
  const std::string token_;
  const std::string org_;
};

}  // namespace

int main() {
  const std::string address = Env("NEO_BRIDGE_ADDR");
  if (address.empty() || Env("PULUMI_ACCESS_TOKEN").empty()) {
    std::cerr << "set NEO_BRIDGE_ADDR (host:port) and PULUMI_ACCESS_TOKEN\n";
    return 2;
  }
  Example example(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()),
      Env("PULUMI_ACCESS_TOKEN"), Env("NEO_ORG"));

  const std::string task_id = example.CreateTask(
      "Deploy the web stack, but ask for my approval first.");
  std::printf("created task %s\n", task_id.c_str());
  example.FollowConversation(task_id);

  for (int i = 1; i <= 4; ++i) {
    example.CreateTask("Listing example task " + std::to_string(i));
  }
  example.ListAllTasks();
  example.ShowTypedError();
  return 0;
}
