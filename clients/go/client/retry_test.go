package client_test

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"hotspot.example/clients/go/client"
	hotspotv1 "hotspot.example/clients/go/hotspot/v1"
)

// testCodec marshals with google.golang.org/protobuf, for the tests' own gRPC servers and their
// calls past the wrapper (see the wrapper's codec).
type testCodec struct{}

func (testCodec) Marshal(v interface{}) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }
func (testCodec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, v.(proto.Message))
}
func (testCodec) String() string { return "proto" }
func (testCodec) Name() string   { return "proto" }

// fakeServer answers every call with the given failures first, then a CommandResponse; it
// records the request ids it saw.
func fakeServer(t *testing.T, failures []codes.Code) (string, func() []string) {
	var mu sync.Mutex
	var ids []string
	server := grpc.NewServer(grpc.CustomCodec(testCodec{}),
		grpc.UnknownServiceHandler(func(_ interface{}, stream grpc.ServerStream) error {
			req := &hotspotv1.ReferYouthRequest{}
			if err := stream.RecvMsg(req); err != nil {
				return err
			}
			mu.Lock()
			ids = append(ids, req.RequestId)
			var fail codes.Code
			if len(failures) > 0 {
				fail, failures = failures[0], failures[1:]
			}
			mu.Unlock()
			if fail != codes.OK {
				return status.Error(fail, "fake")
			}
			return stream.SendMsg(&hotspotv1.CommandResponse{Id: "youth-1"})
		}))
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go server.Serve(listener)
	t.Cleanup(server.Stop)
	return listener.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), ids...)
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	refer := func(target string, pinned bool) (*hotspotv1.CommandResponse, error) {
		c, err := client.Dial(target, "token", client.Options{Backoff: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := &hotspotv1.ReferYouthRequest{AreaId: "a"}
		if pinned {
			v := uint64(3)
			req.ExpectedVersion = &v
		}
		return c.Command(ctx, "ReferYouth", req)
	}

	target, ids := fakeServer(t, []codes.Code{codes.Unavailable, codes.Unavailable})
	if resp, err := refer(target, false); err != nil || resp.Id != "youth-1" {
		t.Fatalf("UNAVAILABLE twice, then: %v %v", resp, err)
	}
	if got := ids(); len(got) != 3 || got[0] != got[1] || got[1] != got[2] || got[0] == "" {
		t.Errorf("request ids %v: want three times the same", got)
	}

	target, _ = fakeServer(t, []codes.Code{codes.Aborted})
	if _, err := refer(target, false); err != nil {
		t.Errorf("ABORTED, unpinned: %v", err)
	}
	target, ids = fakeServer(t, []codes.Code{codes.Aborted})
	if _, err := refer(target, true); err == nil || len(ids()) != 1 {
		t.Errorf("ABORTED, pinned: %v after %d calls; want the error after one", err, len(ids()))
	}
	target, ids = fakeServer(t, []codes.Code{codes.FailedPrecondition})
	if _, err := refer(target, false); err == nil || len(ids()) != 1 {
		t.Errorf("FAILED_PRECONDITION: %v after %d calls", err, len(ids()))
	}
	target, ids = fakeServer(t, []codes.Code{codes.Unavailable, codes.Unavailable, codes.Unavailable,
		codes.Unavailable, codes.Unavailable})
	if _, err := refer(target, false); err == nil || len(ids()) != 4 {
		t.Errorf("UNAVAILABLE five times: %v after %d calls; want the error after 4", err, len(ids()))
	}
}
