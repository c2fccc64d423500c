// Command neo-example-go is a neo-bridge client in Go: it creates a task,
// streams its events and approves what the agent asks (resuming the stream
// when the connection goes away), lists tasks page by page, and reads a
// typed error.
//
// Environment: NEO_BRIDGE_ADDR (host:port, plaintext gRPC),
// PULUMI_ACCESS_TOKEN and NEO_ORG.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	neobridgev1 "neobridge.dev/examples/go/gen/neobridge/v1"
)

const (
	unaryTimeout  = 10 * time.Second
	streamTimeout = 120 * time.Second
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "neo-example-go:", err)
		os.Exit(1)
	}
}

func run() error {
	address := os.Getenv("NEO_BRIDGE_ADDR")
	token := os.Getenv("PULUMI_ACCESS_TOKEN")
	if address == "" || token == "" {
		return errors.New("set NEO_BRIDGE_ADDR (host:port) and PULUMI_ACCESS_TOKEN")
	}
	conn, err := grpc.NewClient(address,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	c := &client{
		tasks: neobridgev1.NewAgentTasksServiceClient(conn),
		token: token,
		org:   os.Getenv("NEO_ORG"),
	}
	ctx := context.Background()

	taskID, err := c.createTask(ctx, "Deploy the web stack, but ask for my approval first.")
	if err != nil {
		return err
	}
	fmt.Printf("created task %s\n", taskID)
	if err := c.followConversation(ctx, taskID); err != nil {
		return err
	}

	for i := 1; i <= 4; i++ {
		if _, err := c.createTask(ctx, fmt.Sprintf("Listing example task %d", i)); err != nil {
			return err
		}
	}
	tasks, pages, err := c.countTasks(ctx, 2)
	if err != nil {
		return err
	}
	fmt.Printf("listed %d tasks in %d pages\n", tasks, pages)

	return c.showTypedError(ctx)
}

// client calls the bridge as one user of one organization.
type client struct {
	tasks neobridgev1.AgentTasksServiceClient
	token string // Pulumi access token, sent with every call
	org   string
}

// callContext derives the context of one call: it carries the caller's
// Pulumi token as `authorization` metadata and a deadline. Call the returned
// cancel function when the call is done.
func (c *client) callContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token), cancel
}

func (c *client) createTask(ctx context.Context, prompt string) (string, error) {
	ctx, cancel := c.callContext(ctx, unaryTimeout)
	defer cancel()
	response, err := c.tasks.CreateTask(ctx, &neobridgev1.CreateTaskRequest{
		Org: c.org,
		Message: &neobridgev1.UserEvent{
			Body: &neobridgev1.UserEvent_UserMessage{
				UserMessage: &neobridgev1.UserMessage{Content: prompt},
			},
		},
	})
	if err != nil {
		return "", fmt.Errorf("CreateTask: %w", err)
	}
	return response.GetTaskId(), nil
}

// approve answers an approval request of the agent with "yes".
func (c *client) approve(ctx context.Context, taskID, approvalRequestID string) error {
	ctx, cancel := c.callContext(ctx, unaryTimeout)
	defer cancel()
	_, err := c.tasks.RespondToTask(ctx, &neobridgev1.RespondToTaskRequest{
		Org:    c.org,
		TaskId: taskID,
		Event: &neobridgev1.UserEvent{
			Body: &neobridgev1.UserEvent_UserConfirmation{
				UserConfirmation: &neobridgev1.UserConfirmation{
					ApprovalRequestId: approvalRequestID,
					Ok:                true,
				},
			},
		},
	})
	if err != nil {
		return fmt.Errorf("RespondToTask: %w", err)
	}
	return nil
}

// conversation is how far a task's event stream has been followed, so that a
// stream cut by the server can be resumed without missing or repeating an
// event.
type conversation struct {
	taskID      string
	lastEventID string // empty before the first event
	approved    bool   // the agent's approval request was answered
}

// errStreamUnavailable means a stream failed with UNAVAILABLE: the
// connection went away (the bridge's max connection age, a redeploy, a load
// balancer), and the stream can be opened again.
var errStreamUnavailable = errors.New("stream unavailable")

// followConversation streams the task's events from the start until the
// agent's turn after the approval ends, answering the approval request and
// resuming the stream after UNAVAILABLE.
func (c *client) followConversation(ctx context.Context, taskID string) error {
	conv := &conversation{taskID: taskID}
	for {
		err := c.streamUntilTurnEnds(ctx, conv)
		if !errors.Is(err, errStreamUnavailable) {
			return err // nil once the turn ended
		}
		fmt.Printf("stream unavailable; resuming after %s\n", orDash(conv.lastEventID))
	}
}

// streamUntilTurnEnds opens one StreamTaskEvents call after
// conv.lastEventID and handles its events. It returns nil when the turn
// after the approval has ended, errStreamUnavailable (wrapped) when the
// stream may be resumed, and any other error when it may not.
func (c *client) streamUntilTurnEnds(ctx context.Context, conv *conversation) error {
	streamCtx, cancel := c.callContext(ctx, streamTimeout)
	// Cancelling the context is how a Go client ends a server stream early.
	defer cancel()
	request := &neobridgev1.StreamTaskEventsRequest{
		Org:         c.org,
		TaskId:      conv.taskID,
		LastEventId: conv.lastEventID, // empty: the whole history
	}
	// While the channel reconnects, wait for it (up to the deadline) rather
	// than fail at once, so resuming never spins on a restarting bridge.
	stream, err := c.tasks.StreamTaskEvents(streamCtx, request, grpc.WaitForReady(true))
	if err != nil {
		return streamError(err)
	}
	for {
		item, err := stream.Recv()
		if err != nil {
			return streamError(err)
		}
		event := item.GetEvent()
		if event == nil {
			continue // a heartbeat, which only keeps the stream alive
		}
		// RespondToTask gets its own deadline, not the stream's.
		turnEnded, err := c.handleEvent(ctx, conv, event)
		if err != nil || turnEnded {
			return err
		}
	}
}

// streamError tells whether a failed stream may be resumed: only after
// UNAVAILABLE (wrapped in errStreamUnavailable).
func streamError(err error) error {
	switch {
	case err == io.EOF:
		return errors.New("StreamTaskEvents: the stream ended before the turn did")
	case status.Code(err) == codes.Unavailable:
		return fmt.Errorf("%w: %v", errStreamUnavailable, err)
	default:
		return fmt.Errorf("StreamTaskEvents: %w", err)
	}
}

// handleEvent prints an event, approves the agent's approval request, and
// reports whether the event ends the turn that follows the approval.
func (c *client) handleEvent(ctx context.Context, conv *conversation, event *neobridgev1.TaskEvent) (turnEnded bool, err error) {
	conv.lastEventID = event.GetId()
	fmt.Printf("event %s %s ends_turn=%t\n", event.GetId(), event.GetType(), event.GetEndsTurn())
	if id := event.GetApprovalRequestId(); id != "" {
		fmt.Printf("approval requested %s\n", id)
		if err := c.approve(ctx, conv.taskID, id); err != nil {
			return false, err
		}
		fmt.Printf("approved %s\n", id)
		conv.approved = true
		return false, nil
	}
	// The approval request itself ends a turn too: wait for the next one.
	if conv.approved && event.GetEndsTurn() {
		fmt.Println("turn ended")
		return true, nil
	}
	return false, nil
}

// countTasks pages through the organization's tasks, pageSize at a time.
func (c *client) countTasks(ctx context.Context, pageSize int32) (tasks, pages int, err error) {
	pageToken := ""
	for {
		response, err := c.listTasksPage(ctx, pageSize, pageToken)
		if err != nil {
			return 0, 0, err
		}
		tasks += len(response.GetTasks())
		pages++
		if pageToken = response.GetNextPageToken(); pageToken == "" {
			return tasks, pages, nil
		}
	}
}

func (c *client) listTasksPage(ctx context.Context, pageSize int32, pageToken string) (*neobridgev1.ListTasksResponse, error) {
	ctx, cancel := c.callContext(ctx, unaryTimeout)
	defer cancel()
	response, err := c.tasks.ListTasks(ctx, &neobridgev1.ListTasksRequest{
		Org:       c.org,
		PageSize:  pageSize,
		PageToken: pageToken,
	})
	if err != nil {
		return nil, fmt.Errorf("ListTasks: %w", err)
	}
	return response, nil
}

// showTypedError asks for a task that does not exist and prints the
// google.rpc.ErrorInfo the bridge puts in the error's details.
func (c *client) showTypedError(ctx context.Context) error {
	ctx, cancel := c.callContext(ctx, unaryTimeout)
	defer cancel()
	_, err := c.tasks.GetTask(ctx, &neobridgev1.GetTaskRequest{
		Org:    c.org,
		TaskId: "no-such-task",
	})
	if err == nil {
		return errors.New("GetTask of a missing task succeeded")
	}
	// status.FromError decodes the google.rpc.Status that the server sent
	// in the grpc-status-details-bin trailer.
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.NotFound {
		return fmt.Errorf("GetTask: want NOT_FOUND, got %w", err)
	}
	info := errorInfo(st)
	if info == nil {
		return fmt.Errorf("GetTask: no google.rpc.ErrorInfo in %w", err)
	}
	fmt.Printf("error %s reason=%s domain=%s\n", codeName(st.Code()), info.GetReason(), info.GetDomain())
	return nil
}

// errorInfo returns the google.rpc.ErrorInfo among a status' details, or nil.
func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, detail := range st.Details() {
		// A detail is an error when its type is not linked into the binary.
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// codeName is the canonical name of a gRPC status code, e.g. "NOT_FOUND"
// (codes.Code's own String gives Go names such as "NotFound").
func codeName(c codes.Code) string {
	return code.Code(c).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
