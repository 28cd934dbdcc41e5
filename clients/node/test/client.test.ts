// The TypeScript client against a real hotspotd that the test starts (HOTSPOTD: its binary).
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";

import { HotspotClient, HotspotError, personalDataAccess } from "../src";
import { referAndCommit } from "../examples/refer_and_commit";
import { Hotspotd, startHotspotd } from "../testing/hotspotd";

const AREA = "area-sjaelor-boulevard";
let server: Hotspotd;
let target: string;
let tokens: Record<string, string>;

before(async () => {
  server = await startHotspotd();
  ({ target, tokens } = server);
});

after(() => server.stop());

test("the example refers, decides and lists the commitment", async () => {
  const { youth, open } = await referAndCommit(target, tokens["chief-anna"]);
  assert.match(youth, /^youth-/);
  const mine = open.filter((c) => c.youth_id === youth);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].action.text, "Daily attendance follow-up with the family");
});

test("request ids make retries write once; errors carry the code and the field", async () => {
  const hotspot = new HotspotClient(target, tokens["chief-anna"], { purpose: "case_coordination: test" });
  try {
    const fields = {
      area_id: AREA, referring_agency_id: "agency-school-sjaelor", referred_by: "teacher-ole",
      concerns: ["CONCERN_CATEGORY_SCHOOL_ABSENCE"], description: "Absent", urgency: "URGENCY_LOW",
      identity_known: true, name: "Retry Youth",
    };
    const first = await hotspot.command("ReferYouth", { ...fields, request_id: "node-retry-1" });
    const again = await hotspot.command("ReferYouth", { ...fields, request_id: "node-retry-1" });
    assert.equal(again.id, first.id);
    assert.equal(again.position, first.position);
    assert.equal(again.replayed, true);
    const a = await hotspot.command("ReferYouth", fields);
    const b = await hotspot.command("ReferYouth", fields);
    assert.notEqual(a.id, b.id);

    await assert.rejects(hotspot.command("ScreenReferral", { youth_id: "not-a-youth", accept: true }), (e) => {
      assert.ok(e instanceof HotspotError);
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
      assert.match(e.details, /youth_id/);
      return true;
    });
    // No case: refused as another area's youth is, naming the field.
    await assert.rejects(hotspot.query("GetCase", { youth_id: "youth-nobody" }), (e) =>
      e instanceof HotspotError && e.code === grpc.status.PERMISSION_DENIED && /youth_id/.test(e.details));
  } finally {
    hotspot.close();
  }
  const noPurpose = new HotspotClient(target, tokens["chief-anna"]);
  await assert.rejects(noPurpose.query("GetCase", { youth_id: "youth-nobody" }), /purpose/);
  noPurpose.close();
});

test("pages, history and subscriptions iterate to the end", async () => {
  const hotspot = new HotspotClient(target, tokens["chief-anna"], { purpose: "case_coordination: test" });
  const cases: Array<Record<string, any>> = [];
  for await (const c of hotspot.pages("ListCases", { area_id: AREA, page_size: 7 })) cases.push(c);
  hotspot.close();
  assert.ok(cases.length >= 40);
  assert.equal(new Set(cases.map((c) => c.youth_id)).size, cases.length);

  const auditor = new HotspotClient(target, tokens["auditor-kim"], { purpose: "audit" });
  const events = [];
  for await (const e of auditor.history(cases[0].youth_id)) events.push(e);
  auditor.close();
  assert.equal(events[0].type, "hotspot.v1.YouthReferred");
  const positions = events.map((e) => Number(e.position));
  assert.deepEqual(positions, [...positions].sort((x, y) => x - y));

  const integration = new HotspotClient(target, tokens["system-case-records"]);
  const seen: number[] = [];
  for await (const { event } of integration.subscribe({ untilCaughtUp: true })) {
    if (event) seen.push(Number(event.position));
  }
  integration.close();
  // In log order, each once; the child's confidential affairs are not for an integration, so
  // their positions are missing.
  assert.deepEqual(seen, [...new Set(seen)].sort((x, y) => x - y));
  assert.ok(seen.length >= 100);
});

test("the personal-data rule comes from the protos", () => {
  const access = personalDataAccess();
  const always = [...access].filter(([, a]) => a === "PERSONAL_DATA_ACCESS_ALWAYS").map(([m]) => m).sort();
  assert.deepEqual(always, [
    "ExportAccessLog", "ExportSubjectAccess", "GetCase", "GetCaseAsOf", "GetCaseHistory", "ListAccessRecords", "ListCases",
    "ListCommitments", "ListEscalations", "ListMeetings",
  ]);
  assert.equal(access.get("Subscribe"), "PERSONAL_DATA_ACCESS_BY_PRINCIPAL");
  assert.equal(access.get("ReferYouth"), undefined);
});

test("a Danish purpose reaches the access log, in clear for the auditor", async () => {
  const why = "meeting_preparation: møde med skolen om Åse";
  const hotspot = new HotspotClient(target, tokens["chief-anna"], { purpose: why });
  let youth = "";
  for await (const c of hotspot.pages<{ youth_id: string }>("ListCases", { area_id: AREA, page_size: 1 })) {
    youth = c.youth_id;
    break;
  }
  await hotspot.query("GetCase", { youth_id: youth });
  await assert.rejects(hotspot.query("GetCase", { youth_id: youth }, "reading for fun"), (e) =>
    e instanceof HotspotError && e.code === grpc.status.INVALID_ARGUMENT && /purpose/.test(e.details));
  hotspot.close();
  const auditor = new HotspotClient(target, tokens["auditor-kim"], { purpose: "audit" });
  const list = await auditor.audit<{ records: Array<Record<string, any>> }>(
    "ListAccessRecords", { youth_id: youth, page_size: 500 });
  auditor.close();
  const mine = list.records.filter((r) => r.call === "hotspot.v1.QueryService/GetCase");
  assert.ok(mine.length > 0);
  const last = mine[mine.length - 1];
  assert.equal(last.purpose_code, "PURPOSE_MEETING_PREPARATION");
  assert.equal(last.purpose, "meeting_preparation");
  assert.equal(last.purpose_text.text, "møde med skolen om Åse");
});
