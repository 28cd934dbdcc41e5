package client_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"hotspot.example/clients/go/client"
	"hotspot.example/clients/go/example"
	hotspotv1 "hotspot.example/clients/go/hotspot/v1"
)

// makePki makes a throwaway PKI with tests/tls/make_certs.sh (HOTSPOT_MAKE_CERTS) in a new
// directory: ca.pem, server.pem/key, client-ca.pem, client.pem/key (mapped by client-map) and
// operator.pem/key (not mapped).
func makePki(t *testing.T) string {
	script := os.Getenv("HOTSPOT_MAKE_CERTS")
	if script == "" {
		t.Fatal("set HOTSPOT_MAKE_CERTS to tests/tls/make_certs.sh (ctest does)")
	}
	dir := t.TempDir()
	if out, err := exec.Command(script, dir).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", script, err, out)
	}
	return dir
}

func TestTLSAndMTLS(t *testing.T) {
	ours, other := makePki(t), makePki(t)
	tlsTarget, tlsTokens := startHotspotd(t, "--tls_cert_file="+ours+"/server.pem", "--tls_key_file="+ours+"/server.key")
	target, tokens := startHotspotd(t, "--tls_cert_file="+ours+"/server.pem", "--tls_key_file="+ours+"/server.key",
		"--tls_client_ca_file="+ours+"/client-ca.pem", "--tls_client_map_file="+ours+"/client-map")
	ctx := context.Background()
	files := func(cert, ca, clientPki string) *client.TLSFiles {
		return &client.TLSFiles{CAFile: ca + "/ca.pem", CertFile: clientPki + "/" + cert + ".pem", KeyFile: clientPki + "/" + cert + ".key"}
	}
	dialTo := func(target, token string, tls *client.TLSFiles) *client.Client {
		c, err := client.Dial(target, token, client.Options{Purpose: "case_coordination: test", TLS: tls, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial := func(token string, tls *client.TLSFiles) *client.Client { return dialTo(target, token, tls) }
	listCases := func(c *client.Client) error {
		return c.Query(ctx, "ListCases", "", &hotspotv1.ListCasesRequest{AreaId: example.Area, PageSize: 20}, &hotspotv1.ListCasesResponse{})
	}
	refusedWith := func(t *testing.T, err error, code codes.Code, says string) {
		t.Helper()
		if e, ok := err.(*client.Error); !ok || e.Code != code || !strings.Contains(e.Message, says) {
			t.Errorf("want %v saying %q, got %v", code, says, err)
		}
	}

	t.Run("TLS with a token", func(t *testing.T) {
		chief := tlsTokens["chief-anna"]
		if err := listCases(dialTo(tlsTarget, chief, &client.TLSFiles{CAFile: ours + "/ca.pem"})); err != nil {
			t.Fatal(err)
		}
		refusedWith(t, listCases(dialTo(tlsTarget, chief, nil)), codes.Unavailable, "")
		refusedWith(t, listCases(dialTo(tlsTarget, chief, &client.TLSFiles{CAFile: other + "/ca.pem"})), codes.Unavailable, "")
	})

	t.Run("a mapped client certificate is its principal without a token", func(t *testing.T) {
		integration := dial("", files("client", ours, ours))
		received := 0
		err := integration.Subscribe(ctx, &hotspotv1.SubscribeRequest{Start: &hotspotv1.SubscribeRequest_FromPosition{FromPosition: 1}}, true,
			func(e *hotspotv1.StoredEvent, _ uint64) bool {
				if e != nil {
					received++
				}
				return true
			})
		if err != nil || received < 100 {
			t.Fatalf("subscription: %d events, %v", received, err)
		}
		// Its principal and another's token: two identities, refused.
		refusedWith(t, listCases(dial(tokens["chief-anna"], files("client", ours, ours))), codes.Unauthenticated,
			"the bearer token is chief-anna's and the client certificate system-case-records's")
	})

	t.Run("an unmapped certificate needs a token", func(t *testing.T) {
		if err := listCases(dial(tokens["chief-anna"], files("operator", ours, ours))); err != nil {
			t.Fatal(err)
		}
		refusedWith(t, listCases(dial("", files("operator", ours, ours))), codes.Unauthenticated, "cn:operator-workstation")
	})

	t.Run("strange certificates and plaintext are refused", func(t *testing.T) {
		for name, tls := range map[string]*client.TLSFiles{
			"a client certificate of another CA":             files("client", ours, other),
			"a server certificate the client does not trust": files("client", other, ours),
			"no client certificate":                          {CAFile: ours + "/ca.pem"},
			"plaintext":                                      nil,
		} {
			t.Run(name, func(t *testing.T) {
				refusedWith(t, listCases(dial(tokens["chief-anna"], tls)), codes.Unavailable, "")
			})
		}
		if _, err := client.Dial(target, "", client.Options{TLS: &client.TLSFiles{CertFile: ours + "/client.pem"}}); err == nil ||
			!strings.Contains(err.Error(), "needs its key") {
			t.Errorf("a certificate without its key: %v", err)
		}
	})
}
