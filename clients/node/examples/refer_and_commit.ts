// Refers a youth, puts the case on a task-force meeting, records a decision with a commitment
// the school's teacher accepted in the meeting, and prints the school's open commitments.
//
//   cd clients/node && npm run build && \
//     HOTSPOT_SERVER=127.0.0.1:50051 HOTSPOT_TOKEN=<the chief's token> node dist/examples/refer_and_commit.js
//
// Over TLS, as hotspotctl: HOTSPOT_TLS_CA_FILE (the CA that signed hotspotd's certificate), and for
// mTLS HOTSPOT_TLS_CERT_FILE and HOTSPOT_TLS_KEY_FILE (a client certificate and its key).
import { HotspotClient, TlsFiles } from "../src";

const AREA = "area-sjaelor-boulevard";
const SCHOOL = "agency-school-sjaelor";

export async function referAndCommit(target: string, token: string, tls?: TlsFiles) {
  const hotspot = new HotspotClient(target, token, {
    purpose: "case_coordination: follow up on a new referral",
    tls,
  });
  try {
    const referred = await hotspot.command("ReferYouth", {
      area_id: AREA,
      referring_agency_id: SCHOOL,
      referred_by: "teacher-ole",
      concerns: ["CONCERN_CATEGORY_SCHOOL_ABSENCE"],
      description: "Absent for three weeks",
      urgency: "URGENCY_HIGH",
      identity_known: true,
      name: "Example Youth",
    });
    const youth = referred.id;
    await hotspot.command("ScreenReferral", { youth_id: youth, accept: true });
    const now = new Date();
    const at = { seconds: String(Math.floor(now.getTime() / 1000)), nanos: 0 };
    const meeting = (
      await hotspot.command("ScheduleMeeting", { area_id: AREA, body_id: "task-force", scheduled_at: at })
    ).id;
    await hotspot.command("AddAgendaItem", { meeting_id: meeting, youth_id: youth });
    await hotspot.command("RecordAttendance", {
      meeting_id: meeting,
      held_at: at,
      attendance: [
        { agency_id: "agency-hotspot-sjaelor", person: "chief-anna" },
        { agency_id: SCHOOL, person: "teacher-ole" },
      ],
    });
    const due = new Date(now.getTime() + 14 * 24 * 3600 * 1000);
    const decided = await hotspot.command("RecordDecision", {
      meeting_id: meeting,
      youth_id: youth,
      text: "School follows up daily; a club place is offered",
      commitments: [
        {
          owning_agency_id: SCHOOL,
          responsible_person: "teacher-ole",
          action: "Daily attendance follow-up with the family",
          accepted_by: "teacher-ole", // attended for the school and took it on there
          due_date: { year: due.getUTCFullYear(), month: due.getUTCMonth() + 1, day: due.getUTCDate() },
        },
      ],
    });
    const open: Array<Record<string, any>> = [];
    for await (const c of hotspot.pages("ListCommitments", {
      area_id: AREA,
      owning_agency_id: SCHOOL,
      state: "COMMITMENT_STATE_OPEN",
      min_position: decided.position,
    })) {
      open.push(c);
      const d = c.due_date as { year: number; month: number; day: number };
      const action = c.action as { text?: string; withheld?: { reason: string } };
      console.log(`${c.commitment_id}  due ${d.year}-${d.month}-${d.day}  ${action.text ?? action.withheld?.reason}`);
    }
    return { youth, open };
  } finally {
    hotspot.close();
  }
}

if (require.main === module) {
  const env = process.env;
  const tls: TlsFiles = {
    caFile: env.HOTSPOT_TLS_CA_FILE,
    certFile: env.HOTSPOT_TLS_CERT_FILE,
    keyFile: env.HOTSPOT_TLS_KEY_FILE,
  };
  referAndCommit(env.HOTSPOT_SERVER ?? "127.0.0.1:50051", env.HOTSPOT_TOKEN ?? "", tls).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
