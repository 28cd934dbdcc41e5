"""Refers a youth, puts the case on a task-force meeting, records a decision with a commitment
the school's teacher accepted in the meeting, and prints the school's open commitments.

    HOTSPOT_SERVER=127.0.0.1:50051 HOTSPOT_TOKEN=<the chief's token> \
        PYTHONPATH=build/clients/python/gen:clients/python /usr/bin/python3 \
        clients/python/examples/refer_and_commit.py

Over TLS, as hotspotctl: HOTSPOT_TLS_CA_FILE (the CA that signed hotspotd's certificate), and for
mTLS HOTSPOT_TLS_CERT_FILE and HOTSPOT_TLS_KEY_FILE (a client certificate and its key).
"""

import datetime
import os

from hotspot_client import Client

AREA = "area-sjaelor-boulevard"
SCHOOL = "agency-school-sjaelor"


def main(target, token, ca_file=None, cert_file=None, key_file=None):
    with Client(target, token, ca_file=ca_file, cert_file=cert_file, key_file=key_file,
                purpose="case_coordination: follow up on a new referral") as hotspot:
        referred = hotspot.command(
            "ReferYouth", area_id=AREA, referring_agency_id=SCHOOL, referred_by="teacher-ole",
            concerns=["CONCERN_CATEGORY_SCHOOL_ABSENCE"], description="Absent for three weeks",
            urgency="URGENCY_HIGH", identity_known=True, name="Example Youth")
        youth = referred.id
        hotspot.command("ScreenReferral", youth_id=youth, accept=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        meeting = hotspot.command("ScheduleMeeting", area_id=AREA, body_id="task-force",
                                  scheduled_at=now.isoformat().replace("+00:00", "Z")).id
        hotspot.command("AddAgendaItem", meeting_id=meeting, youth_id=youth)
        hotspot.command("RecordAttendance", meeting_id=meeting,
                        held_at=now.isoformat().replace("+00:00", "Z"),
                        attendance=[{"agency_id": "agency-hotspot-sjaelor", "person": "chief-anna"},
                                    {"agency_id": SCHOOL, "person": "teacher-ole"}])
        due = (now + datetime.timedelta(days=14)).date()
        decided = hotspot.command(
            "RecordDecision", meeting_id=meeting, youth_id=youth,
            text="School follows up daily; a club place is offered",
            commitments=[{"owning_agency_id": SCHOOL, "responsible_person": "teacher-ole",
                          "action": "Daily attendance follow-up with the family",
                          # teacher-ole attended for the school and took it on there
                          "accepted_by": "teacher-ole",
                          "due_date": {"year": due.year, "month": due.month, "day": due.day}}])
        open_commitments = list(hotspot.pages(
            "ListCommitments", area_id=AREA, owning_agency_id=SCHOOL,
            state="COMMITMENT_STATE_OPEN", min_position=decided.position))
        for c in open_commitments:
            print(f"{c.commitment_id}  due {c.due_date.year:04}-{c.due_date.month:02}-"
                  f"{c.due_date.day:02}  {c.action.text or c.action.withheld.reason}")
        return youth, open_commitments


if __name__ == "__main__":
    main(os.environ.get("HOTSPOT_SERVER", "127.0.0.1:50051"), os.environ["HOTSPOT_TOKEN"],
         ca_file=os.environ.get("HOTSPOT_TLS_CA_FILE"),
         cert_file=os.environ.get("HOTSPOT_TLS_CERT_FILE"),
         key_file=os.environ.get("HOTSPOT_TLS_KEY_FILE"))
