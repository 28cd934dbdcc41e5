"""The Python client against a real hotspotd (see conftest.py)."""

import os
import sys

import grpc
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))

import refer_and_commit  # noqa: E402
from hotspot_client import Client, HotspotError  # noqa: E402
from hotspot_client.client import _PERSONAL_DATA  # noqa: E402
from hotspot.v1 import options_pb2  # noqa: E402

AREA = "area-sjaelor-boulevard"


def chief(server, **kwargs):
    return Client(server["target"], server["tokens"]["chief-anna"], **kwargs)


def test_the_example_refers_decides_and_lists_the_commitment(hotspotd):
    youth, commitments = refer_and_commit.main(hotspotd["target"], hotspotd["tokens"]["chief-anna"])
    assert youth.startswith("youth-")
    mine = [c for c in commitments if c.youth_id == youth]
    assert len(mine) == 1
    assert mine[0].action.text == "Daily attendance follow-up with the family"
    assert mine[0].owning_agency_id == "agency-school-sjaelor"


def test_request_ids_make_retries_write_once(hotspotd):
    with chief(hotspotd, purpose="case_coordination: test") as hotspot:
        fields = dict(area_id=AREA, referring_agency_id="agency-school-sjaelor",
                      referred_by="teacher-ole", concerns=["CONCERN_CATEGORY_SCHOOL_ABSENCE"],
                      description="Absent", urgency="URGENCY_LOW", identity_known=True,
                      name="Retry Youth", request_id="py-retry-1")
        first = hotspot.command("ReferYouth", **fields)
        again = hotspot.command("ReferYouth", **fields)
        assert again.id == first.id and again.position == first.position and again.replayed
        # Without a request id the client makes one: two calls, two youths.
        del fields["request_id"]
        assert hotspot.command("ReferYouth", **fields).id != hotspot.command("ReferYouth", **fields).id


def test_errors_carry_the_code_and_name_the_field(hotspotd):
    with chief(hotspotd, purpose="case_coordination: test") as hotspot:
        with pytest.raises(HotspotError) as error:
            hotspot.command("ScreenReferral", youth_id="not-a-youth", accept=True)
        assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "youth_id" in error.value.message
        with pytest.raises(HotspotError) as error:
            hotspot.query("GetCase", youth_id="youth-nobody")
        # No case: refused as another area's youth is, naming the field.
        assert error.value.code == grpc.StatusCode.PERMISSION_DENIED
        assert "youth_id" in error.value.message
    with chief(hotspotd) as no_purpose:
        with pytest.raises(ValueError):
            no_purpose.query("GetCase", youth_id="youth-nobody")


def test_pages_history_and_subscription_iterate_to_the_end(hotspotd):
    with chief(hotspotd, purpose="case_coordination: test") as hotspot:
        cases = list(hotspot.pages("ListCases", area_id=AREA, page_size=7))
        assert len(cases) >= 40
        assert len({c.youth_id for c in cases}) == len(cases)
    auditor = Client(hotspotd["target"], hotspotd["tokens"]["auditor-kim"], purpose="audit")
    with auditor:
        events = list(auditor.history(cases[0].youth_id))
        assert events and events[0].type == "hotspot.v1.YouthReferred"
        assert [e.position for e in events] == sorted(e.position for e in events)
    integration = Client(hotspotd["target"], hotspotd["tokens"]["system-case-records"])
    with integration:
        positions = [e.position for e, _ in integration.subscribe(until_caught_up=True) if e]
        # In log order, each once; the child's confidential affairs are not for an integration,
        # so their positions are missing.
        assert positions == sorted(set(positions))
        assert len(positions) >= 100
        referrals = [e for e, _ in integration.subscribe(
            event_types=["hotspot.v1.YouthReferred"], until_caught_up=True) if e]
        assert referrals and all(e.type == "hotspot.v1.YouthReferred" for e in referrals)


def test_the_personal_data_rule_comes_from_the_protos():
    always = {m for m, a in _PERSONAL_DATA.items() if a == options_pb2.PERSONAL_DATA_ACCESS_ALWAYS}
    assert always == {"GetCase", "ListCases", "ListCommitments", "ListEscalations", "ListMeetings",
                      "GetCaseHistory", "GetCaseAsOf", "ListAccessRecords", "ExportAccessLog",
                      "ExportSubjectAccess"}
    assert _PERSONAL_DATA["Subscribe"] == options_pb2.PERSONAL_DATA_ACCESS_BY_PRINCIPAL
    assert _PERSONAL_DATA["ReferYouth"] == options_pb2.PERSONAL_DATA_ACCESS_UNSPECIFIED


def test_a_danish_purpose_reaches_the_access_log_sealed_and_in_clear_for_the_auditor(hotspotd):
    why = "meeting_preparation: møde med skolen om Åse"
    with chief(hotspotd, purpose=why) as hotspot:
        case = next(iter(hotspot.pages("ListCases", area_id=AREA, page_size=1)))
        hotspot.query("GetCase", youth_id=case.youth_id)
    with chief(hotspotd, purpose="reading for fun") as hotspot:
        with pytest.raises(HotspotError) as error:
            hotspot.query("GetCase", youth_id=case.youth_id)
        assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "purpose" in error.value.message
    auditor = Client(hotspotd["target"], hotspotd["tokens"]["auditor-kim"], purpose="audit")
    with auditor:
        records = auditor.audit_query("ListAccessRecords", youth_id=case.youth_id, page_size=500)
        mine = [r for r in records.records if r.call == "hotspot.v1.QueryService/GetCase"]
        assert mine, records
        assert mine[-1].purpose_code == options_pb2.PURPOSE_MEETING_PREPARATION
        assert mine[-1].purpose == "meeting_preparation"
        assert mine[-1].purpose_text.text == "møde med skolen om Åse"
