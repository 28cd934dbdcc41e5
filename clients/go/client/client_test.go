package client_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"hotspot.example/clients/go/client"
	"hotspot.example/clients/go/example"
	hotspotv1 "hotspot.example/clients/go/hotspot/v1"
)

// startHotspotd starts the binary in HOTSPOTD with the demo area on a free port and extra flags;
// the target and the dev tokens by person.
func startHotspotd(t *testing.T, extra ...string) (string, map[string]string) {
	binary := os.Getenv("HOTSPOTD")
	if binary == "" {
		t.Fatal("set HOTSPOTD to the hotspotd binary (ctest does)")
	}
	dir := t.TempDir()
	portFile := filepath.Join(dir, "port")
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	flags := append([]string{"--demo", "--listen=127.0.0.1:0", "--port_file=" + portFile,
		"--data_dir=" + filepath.Join(dir, "data"), "--sync=false", "--deadline_interval_s=0"}, extra...)
	cmd := exec.Command(binary, flags...)
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		out.Close()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(portFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("hotspotd did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	port, _ := os.ReadFile(portFile)
	tokens := map[string]string{}
	f, _ := os.Open(filepath.Join(dir, "stdout"))
	defer f.Close()
	line := regexp.MustCompile(`^\s+(\S+) \((\w+)\): (\S+)`)
	for s := bufio.NewScanner(f); s.Scan(); {
		if m := line.FindStringSubmatch(s.Text()); m != nil {
			tokens[m[1]] = m[3]
		}
	}
	return "127.0.0.1:" + strings.TrimSpace(string(port)), tokens
}

func TestAgainstARealServer(t *testing.T) {
	target, tokens := startHotspotd(t)
	ctx := context.Background()
	chief, err := client.Dial(target, tokens["chief-anna"], client.Options{Purpose: "case_coordination: test"})
	if err != nil {
		t.Fatal(err)
	}
	defer chief.Close()

	t.Run("the example refers, decides and lists the commitment", func(t *testing.T) {
		youth, open, err := example.ReferAndCommit(ctx, chief)
		if err != nil {
			t.Fatal(err)
		}
		mine := 0
		for _, c := range open {
			if c.YouthId == youth {
				mine++
				if c.Action.GetText() != "Daily attendance follow-up with the family" {
					t.Errorf("action %v", c.Action)
				}
			}
		}
		if mine != 1 {
			t.Errorf("%d open commitments for %s, want 1", mine, youth)
		}
	})

	t.Run("request ids make retries write once; errors name the field", func(t *testing.T) {
		req := &hotspotv1.ReferYouthRequest{RequestId: "go-retry-1", AreaId: example.Area,
			ReferringAgencyId: example.School, ReferredBy: "teacher-ole", Description: "Absent",
			Concerns:      []hotspotv1.ConcernCategory{hotspotv1.ConcernCategory_CONCERN_CATEGORY_SCHOOL_ABSENCE},
			IdentityKnown: true, Name: "Retry Youth", Urgency: hotspotv1.Urgency_URGENCY_LOW}
		first, err := chief.Command(ctx, "ReferYouth", proto.Clone(req))
		if err != nil {
			t.Fatal(err)
		}
		again, err := chief.Command(ctx, "ReferYouth", proto.Clone(req))
		if err != nil || again.Id != first.Id || again.Position != first.Position || !again.Replayed {
			t.Errorf("retry: %v %v", again, err)
		}
		req.RequestId = ""
		a, _ := chief.Command(ctx, "ReferYouth", proto.Clone(req))
		b, _ := chief.Command(ctx, "ReferYouth", proto.Clone(req))
		if a == nil || b == nil || a.Id == b.Id {
			t.Errorf("generated request ids: %v %v", a, b)
		}
		_, err = chief.Command(ctx, "ScreenReferral", &hotspotv1.ScreenReferralRequest{YouthId: "not-a-youth", Accept: true})
		if e, ok := err.(*client.Error); !ok || e.Code != codes.InvalidArgument || !strings.Contains(e.Message, "youth_id") {
			t.Errorf("want INVALID_ARGUMENT naming youth_id, got %v", err)
		}
		err = chief.Query(ctx, "GetCase", "", &hotspotv1.GetCaseRequest{YouthId: "youth-nobody"}, &hotspotv1.GetCaseResponse{})
		// No case: refused as another area's youth is, naming the field.
		if e, ok := err.(*client.Error); !ok || e.Code != codes.PermissionDenied || !strings.Contains(e.Message, "youth_id") {
			t.Errorf("want PERMISSION_DENIED naming youth_id, got %v", err)
		}
	})

	t.Run("pages, history and subscriptions iterate to the end", func(t *testing.T) {
		var cases []string
		err := chief.Pages(ctx, "ListCases", "", &hotspotv1.ListCasesRequest{AreaId: example.Area, PageSize: 7},
			func() proto.Message { return &hotspotv1.ListCasesResponse{} },
			func(m protoreflect.Message) error {
				cases = append(cases, m.Interface().(*hotspotv1.CaseView).YouthId)
				return nil
			})
		if err != nil || len(cases) < 40 {
			t.Fatalf("%d cases, %v", len(cases), err)
		}
		auditor, _ := client.Dial(target, tokens["auditor-kim"], client.Options{Purpose: "audit"})
		defer auditor.Close()
		var last uint64
		n := 0
		err = auditor.History(ctx, cases[0], "", func(e *hotspotv1.StoredEvent) error {
			if e.Position <= last {
				t.Errorf("position %d after %d", e.Position, last)
			}
			last = e.Position
			n++
			return nil
		})
		if err != nil || n == 0 {
			t.Fatalf("history: %d events, %v", n, err)
		}
		integration, _ := client.Dial(target, tokens["system-case-records"], client.Options{})
		defer integration.Close()
		// In log order, each once; the child's confidential affairs are not for an integration,
		// so their positions are missing.
		var previous uint64
		received := 0
		err = integration.Subscribe(ctx, &hotspotv1.SubscribeRequest{Start: &hotspotv1.SubscribeRequest_FromPosition{FromPosition: 1}}, true,
			func(e *hotspotv1.StoredEvent, _ uint64) bool {
				if e != nil {
					if e.Position <= previous {
						t.Errorf("position %d after %d", e.Position, previous)
					}
					previous = e.Position
					received++
				}
				return true
			})
		if err != nil || received < 100 {
			t.Fatalf("subscription: %d events, %v", received, err)
		}
	})
}

func TestPersonalDataRuleComesFromTheProtos(t *testing.T) {
	access := client.PersonalDataAccess()
	var always []string
	for method, a := range access {
		if a == hotspotv1.PersonalDataAccess_PERSONAL_DATA_ACCESS_ALWAYS {
			always = append(always, method)
		}
	}
	sort.Strings(always)
	want := "ExportAccessLog ExportSubjectAccess GetCase GetCaseAsOf GetCaseHistory ListAccessRecords ListCases ListCommitments ListEscalations ListMeetings"
	if got := strings.Join(always, " "); got != want {
		t.Errorf("ALWAYS: %s, want %s", got, want)
	}
	if access["Subscribe"] != hotspotv1.PersonalDataAccess_PERSONAL_DATA_ACCESS_BY_PRINCIPAL {
		t.Errorf("Subscribe: %v", access["Subscribe"])
	}
	if access["ReferYouth"] != hotspotv1.PersonalDataAccess_PERSONAL_DATA_ACCESS_UNSPECIFIED {
		t.Errorf("ReferYouth: %v", access["ReferYouth"])
	}
}

func TestDanishPurposeReachesTheAccessLog(t *testing.T) {
	target, tokens := startHotspotd(t)
	ctx := context.Background()
	chief, err := client.Dial(target, tokens["chief-anna"], client.Options{Purpose: "meeting_preparation: møde med skolen om Åse"})
	if err != nil {
		t.Fatal(err)
	}
	defer chief.Close()
	// The views apply the demo in the background after a start: poll, for at most 30 s, until
	// they list a case.
	cases := &hotspotv1.ListCasesResponse{}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := chief.Query(ctx, "ListCases", "", &hotspotv1.ListCasesRequest{AreaId: example.Area, PageSize: 1}, cases)
		if err != nil {
			t.Fatalf("ListCases: %v", err)
		}
		if len(cases.Cases) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ListCases: no case listed within 30 s")
		}
	}
	youth := cases.Cases[0].YouthId
	if err := chief.Query(ctx, "GetCase", "", &hotspotv1.GetCaseRequest{YouthId: youth}, &hotspotv1.GetCaseResponse{}); err != nil {
		t.Fatal(err)
	}
	err = chief.Query(ctx, "GetCase", "reading for fun", &hotspotv1.GetCaseRequest{YouthId: youth}, &hotspotv1.GetCaseResponse{})
	if e, ok := err.(*client.Error); !ok || e.Code != codes.InvalidArgument || !strings.Contains(e.Message, "purpose") {
		t.Errorf("a purpose outside the list: want INVALID_ARGUMENT naming purpose, got %v", err)
	}
	auditor, _ := client.Dial(target, tokens["auditor-kim"], client.Options{Purpose: "audit"})
	defer auditor.Close()
	records := &hotspotv1.ListAccessRecordsResponse{}
	if err := auditor.Audit(ctx, "ListAccessRecords", "", &hotspotv1.ListAccessRecordsRequest{YouthId: youth, PageSize: 500}, records); err != nil {
		t.Fatal(err)
	}
	var last *hotspotv1.AccessRecord
	for _, r := range records.Records {
		if r.Call == "hotspot.v1.QueryService/GetCase" {
			last = r
		}
	}
	if last == nil {
		t.Fatalf("no GetCase record in %v", records)
	}
	if last.PurposeCode != hotspotv1.Purpose_PURPOSE_MEETING_PREPARATION || last.Purpose != "meeting_preparation" ||
		last.PurposeText.GetText() != "møde med skolen om Åse" {
		t.Errorf("record: %v", last)
	}
}
