package client_test

// Subscriptions resume exactly where the consumer stopped, also in the middle of a batch (issue
// 15 §7): each event's checkpoint is its own position + 1, and progress past the events the
// filters leave out comes as a call of its own, with a nil event.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"hotspot.example/clients/go/client"
	hotspotv1 "hotspot.example/clients/go/hotspot/v1"
)

const (
	// Set (to "1"): this test binary runs as the resuming consumer, not the tests.
	consumerEnv = "HOTSPOT_RESUMING_CONSUMER"
	maxBatch    = 10000 // the whole demo log in one batch
	stopAfter   = 7
)

func TestMain(m *testing.M) {
	if os.Getenv(consumerEnv) == "1" {
		os.Exit(resumingConsumer(os.Args[1], os.Args[2], os.Args[3], os.Args[4]))
	}
	os.Exit(m.Run())
}

// resumingConsumer subscribes as the token's principal (purpose "audit") from the checkpoint
// stored in state/checkpoint (1 without one) up to the head. For each call it appends the
// event's position to state/received, then stores the checkpoint (replacing the file
// atomically), the way a consumer that handles each event once would. After stopAfter events
// (0: never) it prints "stopped" and waits on stdin for the test to kill it.
func resumingConsumer(target, token, state, stopAfter string) int {
	stop, err := strconv.Atoi(stopAfter)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	checkpointFile := filepath.Join(state, "checkpoint")
	from := uint64(1)
	if stored, err := os.ReadFile(checkpointFile); err == nil {
		if from, err = strconv.ParseUint(string(stored), 10, 64); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	received, err := os.OpenFile(filepath.Join(state, "received"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer received.Close()
	c, err := client.Dial(target, token, client.Options{Purpose: "audit"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	handled := 0
	var failed error
	req := &hotspotv1.SubscribeRequest{Start: &hotspotv1.SubscribeRequest_FromPosition{FromPosition: from}, MaxBatch: maxBatch}
	err = c.Subscribe(context.Background(), req, true, func(e *hotspotv1.StoredEvent, checkpoint uint64) bool {
		if e != nil {
			if _, failed = fmt.Fprintf(received, "%d\n", e.Position); failed != nil {
				return false
			}
		}
		if failed = os.WriteFile(checkpointFile+".new", []byte(strconv.FormatUint(checkpoint, 10)), 0o600); failed != nil {
			return false
		}
		if failed = os.Rename(checkpointFile+".new", checkpointFile); failed != nil {
			return false
		}
		if e != nil {
			handled++
			if handled == stop {
				fmt.Println("stopped")
				_, _ = io.Copy(io.Discard, os.Stdin)
			}
		}
		return true
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// consumer starts this test binary as the resuming consumer.
func consumer(ctx context.Context, target, token, state string, stop int) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], target, token, state, strconv.Itoa(stop))
	cmd.Env = append(os.Environ(), consumerEnv+"=1")
	cmd.Stderr = os.Stderr
	return cmd
}

// firstResponse is the first response of a subscription from position 1, past the wrapper.
func firstResponse(t *testing.T, target, token string) *hotspotv1.SubscribeResponse {
	conn, err := grpc.Dial(target, grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.ForceCodec(testCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token, "purpose-bin", "audit")
	stream, err := hotspotv1.NewSubscriptionServiceClient(conn).Subscribe(ctx, &hotspotv1.SubscribeRequest{
		Start: &hotspotv1.SubscribeRequest_FromPosition{FromPosition: 1}, MaxBatch: maxBatch})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// item is one call of Subscribe's each: the event's position (0 for none) and the checkpoint.
type item struct{ position, checkpoint uint64 }

func subscribe(t *testing.T, c *client.Client, from uint64, eventTypes ...string) []item {
	var items []item
	req := &hotspotv1.SubscribeRequest{Start: &hotspotv1.SubscribeRequest_FromPosition{FromPosition: from},
		EventTypes: eventTypes, MaxBatch: maxBatch}
	err := c.Subscribe(context.Background(), req, true, func(e *hotspotv1.StoredEvent, checkpoint uint64) bool {
		if e != nil && len(eventTypes) > 0 && e.Type != eventTypes[0] {
			t.Errorf("position %d: %s", e.Position, e.Type)
		}
		items = append(items, item{e.GetPosition(), checkpoint})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func positions(items []item) []uint64 {
	var out []uint64
	for _, i := range items {
		if i.position != 0 {
			out = append(out, i.position)
		}
	}
	return out
}

func TestSubscriptionsResumeExactlyWhereTheConsumerStopped(t *testing.T) {
	// One caller, an auditor of every area: it receives every event of the log, and its
	// checkpoints move past the events its filters leave out.
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	token := hex.EncodeToString(secret)
	hash := sha256.Sum256([]byte(token))
	tokensFile := filepath.Join(t.TempDir(), "tokens")
	line := hex.EncodeToString(hash[:]) + " auditor-all agency-hotspot-sjaelor auditor -\n"
	if err := os.WriteFile(tokensFile, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	target, _ := startHotspotd(t, "--tokens_file="+tokensFile)
	auditor, err := client.Dial(target, token, client.Options{Purpose: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	defer auditor.Close()
	everything := positions(subscribe(t, auditor, 1))
	for i, p := range everything {
		if p != uint64(i+1) {
			t.Fatalf("position %d at %d", p, i)
		}
	}
	head := uint64(len(everything))

	t.Run("a consumer killed in the middle of a batch resumes at its next event", func(t *testing.T) {
		// The kill falls inside the first response: it holds more than stopAfter events.
		first := firstResponse(t, target, token)
		if len(first.Events) <= stopAfter+1 {
			t.Fatalf("the first response holds %d events", len(first.Events))
		}
		state := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		run := consumer(ctx, target, token, state, stopAfter)
		stdin, err := run.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		stdout, err := run.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		// Bounded by ctx: the consumer is killed when it runs out.
		if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "stopped\n" {
			t.Fatalf("the consumer said %q (%v)", line, err)
		}
		if err := run.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = run.Wait()
		if ws := run.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("the consumer ended with %v", run.ProcessState)
		}
		stored := func() uint64 {
			b, err := os.ReadFile(filepath.Join(state, "checkpoint"))
			if err != nil {
				t.Fatal(err)
			}
			n, err := strconv.ParseUint(string(b), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if got := stored(); got != everything[stopAfter-1]+1 || got >= first.Checkpoint {
			t.Fatalf("stored checkpoint %d, want %d (the batch's own is %d)", got, everything[stopAfter-1]+1, first.Checkpoint)
		}

		out, err := consumer(ctx, target, token, state, 0).Output()
		if err != nil || len(out) != 0 {
			t.Fatalf("the resumed consumer: %q, %v", out, err)
		}
		b, err := os.ReadFile(filepath.Join(state, "received"))
		if err != nil {
			t.Fatal(err)
		}
		var received []uint64
		for _, f := range strings.Fields(string(b)) {
			p, _ := strconv.ParseUint(f, 10, 64)
			received = append(received, p)
		}
		// Every position once, in order, across the two runs.
		if !reflect.DeepEqual(received, everything) {
			t.Errorf("received %v, want 1..%d", received, head)
		}
		if got := stored(); got != head+1 {
			t.Errorf("stored checkpoint %d at the end, want %d", got, head+1)
		}
	})

	t.Run("progress past the events the filters leave out is a call of its own", func(t *testing.T) {
		// The type of the log's first event (the demo's setup, not repeated at its end).
		var firstType string
		err := auditor.Subscribe(context.Background(), &hotspotv1.SubscribeRequest{
			Start: &hotspotv1.SubscribeRequest_FromPosition{FromPosition: 1}, MaxBatch: 1}, false,
			func(e *hotspotv1.StoredEvent, _ uint64) bool {
				firstType = e.GetType()
				return false
			})
		if err != nil || firstType == "" {
			t.Fatalf("the first event: %q, %v", firstType, err)
		}
		items := subscribe(t, auditor, 1, firstType)
		events := positions(items)
		if len(events) == 0 || events[len(events)-1] >= head {
			t.Fatalf("%s at %v, head %d: the log should go on past the last", firstType, events, head)
		}
		for i, it := range items {
			if it.position != 0 && it.checkpoint != it.position+1 {
				t.Errorf("event %d: checkpoint %d", it.position, it.checkpoint)
			}
			if i > 0 && it.checkpoint < items[i-1].checkpoint {
				t.Errorf("checkpoint %d after %d", it.checkpoint, items[i-1].checkpoint)
			}
		}
		if last := items[len(items)-1]; last != (item{0, head + 1}) {
			t.Errorf("last call %+v, want no event and checkpoint %d", last, head+1)
		}
		// Resuming from it examines nothing again.
		if again := subscribe(t, auditor, head+1, firstType); !reflect.DeepEqual(again, []item{{0, head + 1}}) {
			t.Errorf("resumed: %+v", again)
		}
	})
}
