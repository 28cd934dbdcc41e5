// Package client is a small Go client for hotspotd over the stubs generated from proto/ with
// Debian's protoc-gen-go and protoc-gen-go-grpc (hotspot.example/clients/go/hotspot/v1).
//
//	c, err := client.Dial("127.0.0.1:50051", token, client.Options{Purpose: "meeting_preparation: weekly case review"})
//	// over mTLS, as the principal hotspotd maps the client certificate to (no token):
//	c, err := client.Dial("hotspot.kommune.example:443", "", client.Options{
//		TLS: &client.TLSFiles{CAFile: "ca.pem", CertFile: "client.pem", KeyFile: "client.key"}})
//	resp, err := c.Command(ctx, "ReferYouth", &hotspotv1.ReferYouthRequest{AreaId: ...})
//	err = c.Query(ctx, "GetCase", &hotspotv1.GetCaseRequest{YouthId: resp.Id}, &caseResp)
package client

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	hotspotv1 "hotspot.example/clients/go/hotspot/v1"
)

// PersonalDataAccess maps each method name to its (hotspot.v1.personal_data) option, read from
// the descriptors: ALWAYS (the server refuses the call without a purpose), BY_PRINCIPAL (a
// purpose from the principals that receive data in clear), or UNSPECIFIED.
func PersonalDataAccess() map[string]hotspotv1.PersonalDataAccess {
	out := map[string]hotspotv1.PersonalDataAccess{}
	for _, file := range []protoreflect.FileDescriptor{
		hotspotv1.File_hotspot_v1_command_service_proto, hotspotv1.File_hotspot_v1_query_service_proto,
		hotspotv1.File_hotspot_v1_audit_service_proto, hotspotv1.File_hotspot_v1_subscription_service_proto,
	} {
		for i := 0; i < file.Services().Len(); i++ {
			methods := file.Services().Get(i).Methods()
			for j := 0; j < methods.Len(); j++ {
				m := methods.Get(j)
				access := proto.GetExtension(m.Options(), hotspotv1.E_PersonalData).(hotspotv1.PersonalDataAccess)
				out[string(m.Name())] = access
			}
		}
	}
	return out
}

var personalData = PersonalDataAccess()

// Options: Purpose for reads of youths' data (recorded in the access log), Deadline per call
// (default 10 s), Retries after the first attempt for UNAVAILABLE (always: commands carry a
// request id) and ABORTED (only for commands without a pinned expected_version); default 3, a
// negative number for none. TLS: nil for plaintext (hotspotd serves plaintext on loopback only).
type Options struct {
	Purpose  string
	Deadline time.Duration
	Retries  int
	Backoff  time.Duration
	TLS      *TLSFiles
}

// TLSFiles are PEM files: CAFile the CA that signed hotspotd's certificate (empty: the system's
// CAs), CertFile and KeyFile a client certificate and its key for mTLS (both or neither).
type TLSFiles struct {
	CAFile   string
	CertFile string
	KeyFile  string
}

// transport is the dial option for files: plaintext if nil, TLS otherwise.
func transport(files *TLSFiles) (grpc.DialOption, error) {
	if files == nil {
		return grpc.WithInsecure(), nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if files.CAFile != "" {
		pem, err := os.ReadFile(files.CAFile)
		if err != nil {
			return nil, err
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CAFile: %s holds no PEM certificate", files.CAFile)
		}
	}
	if (files.CertFile == "") != (files.KeyFile == "") {
		return nil, errors.New("CertFile and KeyFile: a client certificate needs its key")
	}
	if files.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
		if err != nil {
			return nil, err
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(config)), nil
}

// Client is one connection to hotspotd as one principal.
type Client struct {
	conn  *grpc.ClientConn
	token string
	opts  Options
}

// Error is a failed call: the gRPC code and the server's message (which names the field).
type Error struct {
	Method  string
	Code    codes.Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s: %s", e.Method, e.Code, e.Message) }

// Dial connects, with opts.TLS or in plaintext. An empty token sends none: the caller is then the
// principal hotspotd maps the client certificate to (mTLS).
func Dial(target, token string, opts Options) (*Client, error) {
	if opts.Deadline == 0 {
		opts.Deadline = 10 * time.Second
	}
	if opts.Retries == 0 {
		opts.Retries = 3
	}
	if opts.Backoff == 0 {
		opts.Backoff = 100 * time.Millisecond
	}
	security, err := transport(opts.TLS)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.Dial(target, security, grpc.WithDefaultCallOptions(grpc.ForceCodec(codec{})))
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, token: token, opts: opts}, nil
}

// codec marshals with google.golang.org/protobuf: Debian's grpc-go 1.33 otherwise uses the
// older github.com/golang/protobuf (1.3), which cannot handle messages that protoc-gen-go 1.28
// generates.
type codec struct{}

func (codec) Marshal(v interface{}) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }
func (codec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, v.(proto.Message))
}
func (codec) Name() string { return "proto" }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) outgoing(ctx context.Context, method, purpose string) (context.Context, error) {
	var pairs []string
	if c.token != "" {
		pairs = append(pairs, "authorization", "Bearer "+c.token)
	}
	if purpose == "" {
		purpose = c.opts.Purpose
	}
	access := personalData[method]
	if access == hotspotv1.PersonalDataAccess_PERSONAL_DATA_ACCESS_ALWAYS && purpose == "" {
		return nil, fmt.Errorf("%s reads a youth's data: give a purpose", method)
	}
	if access != hotspotv1.PersonalDataAccess_PERSONAL_DATA_ACCESS_UNSPECIFIED && purpose != "" {
		// "-bin": gRPC sends the UTF-8 bytes base64-encoded, so any text (æ, ø, å) passes.
		pairs = append(pairs, "purpose-bin", purpose)
	}
	return metadata.AppendToOutgoingContext(ctx, pairs...), nil
}

func (c *Client) invoke(ctx context.Context, service, method, purpose string, req, resp proto.Message, retryAborted bool) error {
	for attempt := 0; ; attempt++ {
		call, err := c.outgoing(ctx, method, purpose)
		if err != nil {
			return err
		}
		call, cancel := context.WithTimeout(call, c.opts.Deadline)
		err = c.conn.Invoke(call, "/hotspot.v1."+service+"/"+method, req, resp)
		cancel()
		if err == nil {
			return nil
		}
		s := status.Convert(err)
		retry := s.Code() == codes.Unavailable || (s.Code() == codes.Aborted && retryAborted)
		if !retry || attempt >= c.opts.Retries {
			return &Error{Method: method, Code: s.Code(), Message: s.Message()}
		}
		time.Sleep(c.opts.Backoff << attempt)
	}
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Command runs a command (method: the RPC's name, e.g. "ReferYouth"). A request id is generated
// if the request has none; retries reuse it, so the command is written once.
func (c *Client) Command(ctx context.Context, method string, req proto.Message) (*hotspotv1.CommandResponse, error) {
	m := req.ProtoReflect()
	id := m.Descriptor().Fields().ByName("request_id")
	if id == nil {
		return nil, fmt.Errorf("%s: not a command request", method)
	}
	if m.Get(id).String() == "" {
		m.Set(id, protoreflect.ValueOfString(newRequestID()))
	}
	pinned := false
	if v := m.Descriptor().Fields().ByName("expected_version"); v != nil {
		pinned = m.Has(v)
	}
	resp := &hotspotv1.CommandResponse{}
	return resp, c.invoke(ctx, "CommandService", method, "", req, resp, !pinned)
}

// Audit runs a unary AuditService call into resp; purpose "" uses the client's.
func (c *Client) Audit(ctx context.Context, method, purpose string, req, resp proto.Message) error {
	return c.invoke(ctx, "AuditService", method, purpose, req, resp, false)
}

// Query runs a QueryService call into resp; purpose "" uses the client's.
func (c *Client) Query(ctx context.Context, method, purpose string, req, resp proto.Message) error {
	return c.invoke(ctx, "QueryService", method, purpose, req, resp, false)
}

// Pages calls a paged list query page after page (following next_page_token) and calls each
// for every item; newResp makes an empty response message.
func (c *Client) Pages(ctx context.Context, method, purpose string, req proto.Message, newResp func() proto.Message, each func(protoreflect.Message) error) error {
	token := req.ProtoReflect().Descriptor().Fields().ByName("page_token")
	for {
		resp := newResp()
		if err := c.Query(ctx, method, purpose, req, resp); err != nil {
			return err
		}
		m := resp.ProtoReflect()
		fields := m.Descriptor().Fields()
		for i := 0; i < fields.Len(); i++ {
			if f := fields.Get(i); f.IsList() && f.Kind() == protoreflect.MessageKind {
				list := m.Get(f).List()
				for j := 0; j < list.Len(); j++ {
					if err := each(list.Get(j).Message()); err != nil {
						return err
					}
				}
				break
			}
		}
		next := m.Get(fields.ByName("next_page_token")).String()
		if next == "" {
			return nil
		}
		req.ProtoReflect().Set(token, protoreflect.ValueOfString(next))
	}
}

// History calls each for every event of a youth's history, in log order.
func (c *Client) History(ctx context.Context, youthID, purpose string, each func(*hotspotv1.StoredEvent) error) error {
	call, err := c.outgoing(ctx, "GetCaseHistory", purpose)
	if err != nil {
		return err
	}
	call, cancel := context.WithTimeout(call, c.opts.Deadline)
	defer cancel()
	stream, err := hotspotv1.NewAuditServiceClient(c.conn).GetCaseHistory(call, &hotspotv1.GetCaseHistoryRequest{YouthId: youthID})
	if err != nil {
		return &Error{Method: "GetCaseHistory", Code: status.Code(err), Message: status.Convert(err).Message()}
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &Error{Method: "GetCaseHistory", Code: status.Code(err), Message: status.Convert(err).Message()}
		}
		for _, e := range resp.Events {
			if err := each(e); err != nil {
				return err
			}
		}
	}
}

// Subscribe follows the log from req's start: each gets every event with its checkpoint, and a
// nil event with a checkpoint where the log was examined further without an event for this
// subscriber (a response with no events, or one whose checkpoint lies past its last event, past
// events the filters left out); it returns false to stop. Store the checkpoint after handling
// each call and resume with FromPosition = checkpoint: nothing is lost or repeated, even after a
// crash in the middle of a batch, since an event's checkpoint is its own position + 1, not the
// end of its batch (before issue 15 every event of a response got the response's checkpoint).
// With untilCaughtUp it stops at the head.
func (c *Client) Subscribe(ctx context.Context, req *hotspotv1.SubscribeRequest, untilCaughtUp bool, each func(*hotspotv1.StoredEvent, uint64) bool) error {
	call, err := c.outgoing(ctx, "Subscribe", "")
	if err != nil {
		return err
	}
	call, cancel := context.WithCancel(call)
	defer cancel()
	stream, err := hotspotv1.NewSubscriptionServiceClient(c.conn).Subscribe(call, req)
	if err != nil {
		return &Error{Method: "Subscribe", Code: status.Code(err), Message: status.Convert(err).Message()}
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return &Error{Method: "Subscribe", Code: status.Code(err), Message: status.Convert(err).Message()}
		}
		checkpoint := uint64(0)
		for _, e := range resp.Events {
			checkpoint = e.Position + 1
			if !each(e, checkpoint) {
				return nil
			}
		}
		if (len(resp.Events) == 0 || resp.Checkpoint > checkpoint) && !each(nil, resp.Checkpoint) {
			return nil
		}
		if untilCaughtUp && resp.CaughtUp {
			return nil
		}
	}
}
