// The policy's answers that no end-to-end table shows by itself: which event kinds are
// confidential, what a subscription of each role may receive, and who acts for an agency. (The
// authorization matrix in tests/e2e/ asks the rest through every RPC.)
#include "services/security/policy.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "hotspot/v1/events.pb.h"

namespace hotspot::security {
namespace {

TEST(PolicyTest, TheConfidentialKindsAreEventsOfTheChildWelfareFrameAndTheFamilysRequests) {
  const google::protobuf::OneofDescriptor* kinds = v1::Event::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kinds, nullptr);
  std::set<std::string> confidential;
  for (int i = 0; i < kinds->field_count(); ++i) {
    const std::string type = kinds->field(i)->message_type()->full_name();
    if (IsConfidentialEventType(type)) confidential.insert(type);
  }
  EXPECT_EQ(confidential, (std::set<std::string>{
                              "hotspot.v1.ChildWelfareInvestigationCompleted",
                              "hotspot.v1.ChildWelfareInvestigationOpened",
                              "hotspot.v1.ChildWelfareInvestigationOverdue",
                              "hotspot.v1.ConsentLapsed",
                              "hotspot.v1.EighteenthBirthdayNear",
                              "hotspot.v1.NotificationAssessed",
                              "hotspot.v1.NotificationAssessmentOverdue",
                              "hotspot.v1.NotificationMade",
                              "hotspot.v1.NotificationReceiptConfirmed",
                              "hotspot.v1.NotificationReceiptOverdue",
                              "hotspot.v1.SocialDecisionRecorded",
                              "hotspot.v1.SubjectAccessAnswered",
                              "hotspot.v1.SubjectAccessOverdue",
                              "hotspot.v1.SubjectAccessRequested",
                          }));
  EXPECT_FALSE(IsConfidentialEventType("hotspot.v1.YouthReferred"));
  EXPECT_FALSE(IsConfidentialEventType("NotificationMade"));  // full names only
}

TEST(PolicyTest, OnlySelfGoverningInstitutionsJoinTheSspExchangeByTheirFlag) {
  const AgencyFacts free_school{"agency-free-school", v1::AGENCY_KIND_OTHER, true};
  const AgencyFacts unflagged{"agency-other", v1::AGENCY_KIND_OTHER, false};
  const AgencyFacts ngo{"agency-ngo", v1::AGENCY_KIND_NGO, true};  // flagged by mistake
  EXPECT_TRUE(MayShareUnder(free_school, v1::LEGAL_BASIS_SSP_EXCHANGE).ok());
  EXPECT_TRUE(MayReceiveUnder(free_school, v1::LEGAL_BASIS_SSP_EXCHANGE).ok());
  EXPECT_EQ(MayShareUnder(unflagged, v1::LEGAL_BASIS_SSP_EXCHANGE).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MayShareUnder(ngo, v1::LEGAL_BASIS_SSP_EXCHANGE).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MayReceiveUnder(ngo, v1::LEGAL_BASIS_SSP_EXCHANGE).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(MayShareUnder(ngo, v1::LEGAL_BASIS_CONSENT).ok());
}

TEST(PolicyTest, ASubscriptionIsBoundedByAreaAndRole) {
  const Principal chief{"chief-anna", "agency-hotspot", Role::kCoordinator, {"area-a", "area-b"}};
  const Principal system{"system-x", "agency-it", Role::kIntegration, {"area-a"}};
  const Principal auditor{"auditor-ib", "agency-audit", Role::kAuditor, {}};
  const Principal admin{"admin-ole", "agency-it", Role::kAdmin, {}};
  const Principal teacher{"teacher-ole", "agency-school", Role::kAgencyMember, {"area-a"}};
  const Principal bound{"auditor-kim", "agency-audit", Role::kAuditor, {"area-a"}};
  struct Want {
    const Principal& who;
    std::string area;
    std::vector<std::string> areas;
    bool in_clear, confidential;
  };
  for (const Want& w : std::vector<Want>{
           {chief, "", {"area-a", "area-b"}, true, true},
           {chief, "area-b", {"area-b"}, true, true},
           {system, "", {"area-a"}, false, false},
           {auditor, "", {}, false, true},
           {auditor, "area-z", {"area-z"}, false, true},
           {bound, "", {"area-a"}, false, true},
           {bound, "area-a", {"area-a"}, false, true},
           {admin, "", {}, false, false},
       }) {
    const absl::StatusOr<SubscriptionScope> scope = SubscriptionScopeOf(w.who, w.area);
    ASSERT_TRUE(scope.ok()) << w.who.person << ": " << scope.status();
    EXPECT_EQ(scope->areas, w.areas) << w.who.person;
    EXPECT_EQ(scope->in_clear, w.in_clear) << w.who.person;
    EXPECT_EQ(scope->confidential_kinds, w.confidential) << w.who.person;
  }
  EXPECT_EQ(SubscriptionScopeOf(system, "area-b").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(SubscriptionScopeOf(teacher, "").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(SubscriptionScopeOf(bound, "area-b").status().code(),
            absl::StatusCode::kPermissionDenied);
  const Principal nowhere{"system-y", "agency-it", Role::kIntegration, {}};
  EXPECT_EQ(SubscriptionScopeOf(nowhere, "").status().message(), "system-y has no area");
}

// An auditor whose token lists areas audits those only, everywhere; one with no area, every area.
TEST(PolicyTest, AnAuditorBoundToAreasAuditsThoseOnly) {
  const Principal everywhere{"auditor-dpo", "agency-audit", Role::kAuditor, {}};
  const Principal bound{"auditor-kim", "agency-audit", Role::kAuditor, {"area-a", "area-c"}};
  const Principal chief{"chief-anna", "agency-hotspot", Role::kCoordinator, {"area-a"}};
  for (const char* area : {"area-a", "area-b", ""}) {
    EXPECT_TRUE(MayAuditCase(everywhere, area).ok()) << area;
    EXPECT_TRUE(MayReadAccessRecordsOf(everywhere, "youth-1", area).ok()) << area;
  }
  EXPECT_EQ(AccessRecordAreas(everywhere), std::nullopt);  // every record
  EXPECT_TRUE(MayReviewErasures(everywhere, "area-b").ok());
  EXPECT_TRUE(MayAuditCase(bound, "area-c").ok());
  EXPECT_TRUE(MayReviewErasures(bound, "area-a").ok());
  EXPECT_TRUE(MayReadAccessRecordsOf(bound, "youth-1", "area-a").ok());
  EXPECT_EQ(AccessRecordAreas(bound), (std::vector<std::string>{"area-a", "area-c"}));
  const absl::Status history = MayAuditCase(bound, "area-b");
  EXPECT_EQ(history.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(history.message().find("auditor-kim"), std::string::npos) << history;
  EXPECT_NE(history.message().find("area-b"), std::string::npos) << history;
  EXPECT_EQ(MayReviewErasures(bound, "area-b").code(), absl::StatusCode::kPermissionDenied);
  // A youth with no case is of no area: not one of its own.
  // In the same words as another area's youth: whether it has a case is not the auditor's to
  // learn.
  for (const char* area : {"area-b", ""}) {
    const absl::Status refused = MayReadAccessRecordsOf(bound, "youth-1", area);
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << area;
    EXPECT_EQ(refused.message(), RefuseOutsideCase(bound, "youth-1").message()) << area;
  }
  // The access log is an auditor's only.
  EXPECT_EQ(MayReadAccessRecordsOf(chief, "youth-1", "area-a").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AccessRecordAreas(chief), std::vector<std::string>());
}

TEST(PolicyTest, PossibleDuplicatesAreTheAreasChiefsToKnow) {
  v1::CaseView view;
  view.set_area_id("area-a");
  view.add_agencies_involved("agency-school");
  const Principal chief{"chief-anna", "agency-hotspot", Role::kCoordinator, {"area-a"}};
  // Her staff, coordinators of the area too, screen no referral (review 13b, N9).
  const Principal staff{"staff-per", "agency-hotspot", Role::kCoordinator, {"area-a"}};
  const Principal other_chief{"chief-bo", "agency-hotspot-b", Role::kCoordinator, {"area-b"}};
  const Principal caseworker{
      "caseworker-eva", "agency-social", Role::kSocialCaseworker, {"area-a"}};
  const Principal referrer{"teacher-ole", "agency-school", Role::kAgencyMember, {"area-a"}};
  const Principal leader{"head-ida", "agency-school", Role::kAgencyLeader, {"area-a"}};
  const Principal ngo{"mentor-mia", "agency-ngo", Role::kAgencyMember, {"area-a"}};
  const Principal system{"system-x", "agency-it", Role::kIntegration, {"area-a"}};
  const Principal auditor{"auditor-ib", "agency-audit", Role::kAuditor, {}};
  EXPECT_TRUE(MaySeePossibleDuplicates(chief, view, chief.person));
  for (const Principal* who :
       {&staff, &other_chief, &caseworker, &referrer, &leader, &ngo, &system, &auditor}) {
    EXPECT_FALSE(MaySeePossibleDuplicates(*who, view, chief.person)) << who->person;
  }
  // Another area's chief, not of this case's area; and while no chief is appointed, nobody.
  EXPECT_FALSE(MaySeePossibleDuplicates(other_chief, view, other_chief.person));
  EXPECT_FALSE(MaySeePossibleDuplicates(chief, view, ""));
  // Someone named as the chief, but no coordinator of the area (another role's token).
  const Principal named{"chief-anna", "agency-school", Role::kAgencyLeader, {"area-a"}};
  EXPECT_FALSE(MaySeePossibleDuplicates(named, view, chief.person));
}

// An NGO is outside the § 115 exchange: whether it referred the youth or has a task, it reads the
// case only while a consent in force names it. A consent of before, naming no agency, names none.
// Review 13c, b and c: an escalation's reason goes to the area's chief, the target's contacts
// at the levels it stood at (given), and the target's people with a task in the case.
TEST(PolicyTest, AnEscalationsReasonIsTheChiefsItsRungsAndTheTargetsPeopleWithATask) {
  v1::CaseView view;
  view.set_area_id("area-a");
  v1::CommitmentView* own = view.add_commitments();
  own->set_owning_agency_id("agency-school");
  own->set_responsible_person("teacher-ole");
  v1::CommitmentView* police = view.add_commitments();
  police->set_owning_agency_id("agency-police");
  police->set_responsible_person("officer-sara");
  v1::OutreachView* outreach = view.add_outreach();
  outreach->set_agency_id("agency-school");
  outreach->set_person("teacher-kim");
  v1::EscalationView escalation;
  escalation.set_area_id("area-a");
  escalation.set_target_agency_id("agency-school");
  const std::vector<std::string> contacts = {"manager-school"};
  const std::string chief = "chief-anna";
  const Principal readers[] = {
      {"chief-anna", "agency-hotspot", Role::kCoordinator, {"area-a"}},
      {"manager-school", "agency-school", Role::kAgencyLeader, {"area-a"}},
      {"teacher-ole", "agency-school", Role::kAgencyMember, {"area-a"}},
      {"teacher-kim", "agency-school", Role::kAgencyMember, {"area-a"}},
  };
  for (const Principal& who : readers) {
    EXPECT_TRUE(MaySeeEscalationReason(who, escalation, view, contacts, chief)) << who.person;
  }
  const Principal others[] = {
      {"staff-jonas", "agency-hotspot", Role::kCoordinator, {"area-a"}},
      {"caseworker-lis", "agency-social", Role::kSocialCaseworker, {"area-a"}},
      {"officer-sara", "agency-police", Role::kAgencyMember, {"area-a"}},     // a task of its own
      {"director-school", "agency-school", Role::kAgencyLeader, {"area-a"}},  // not reached
      {"teacher-mette", "agency-school", Role::kAgencyMember, {"area-a"}},    // no task
      // The chief's person, but calling for the school, or of another area.
      {"chief-anna", "agency-school", Role::kAgencyLeader, {"area-a"}},
      {"chief-anna", "agency-hotspot", Role::kCoordinator, {"area-b"}},
      // The task holder's person, in another agency's name.
      {"teacher-ole", "agency-police", Role::kAgencyMember, {"area-a"}},
  };
  for (const Principal& who : others) {
    EXPECT_FALSE(MaySeeEscalationReason(who, escalation, view, contacts, chief)) << who.person;
  }
  // No chief appointed: no coordinator reads it as the chief.
  EXPECT_FALSE(MaySeeEscalationReason(readers[0], escalation, view, contacts, ""));
}

TEST(PolicyTest, AnNgoReadsTheCaseOnlyWhileAConsentNamesIt) {
  v1::CaseView view;
  view.set_area_id("area-a");
  view.add_agencies_involved("agency-ngo");
  view.add_agencies_involved("agency-school");
  view.mutable_referral()->set_referring_agency_id("agency-ngo");
  v1::OutreachView* task = view.add_outreach();
  task->set_agency_id("agency-ngo");
  Principal ngo{"mentor-mia", "agency-ngo", Role::kAgencyMember, {"area-a"}};
  ngo.agency_kind = v1::AGENCY_KIND_NGO;
  Principal school{"teacher-ole", "agency-school", Role::kAgencyMember, {"area-a"}};
  school.agency_kind = v1::AGENCY_KIND_SCHOOL;
  view.mutable_referral()->set_referring_agency_id("agency-school");
  EXPECT_TRUE(MaySeePersonalData(school, view));  // a § 115 party that referred
  view.mutable_referral()->set_referring_agency_id("agency-ngo");
  EXPECT_FALSE(MaySeePersonalData(ngo, view));  // referred it, and has a task: no consent
  v1::ConsentView* old = view.add_consents();
  old->set_in_force(true);  // of before: names no agency
  EXPECT_FALSE(MaySeePersonalData(ngo, view));
  v1::ConsentView* naming = view.add_consents();
  naming->set_in_force(true);
  naming->add_agency_ids("agency-ngo");
  EXPECT_TRUE(MaySeePersonalData(ngo, view));
  naming->set_in_force(false);  // withdrawn, or lapsed at 18
  EXPECT_FALSE(MaySeePersonalData(ngo, view));
}

TEST(PolicyTest, AMeasurementIsItsOwningAgencys) {
  const Principal staff{"staff-bo", "agency-hotspot", Role::kCoordinator, {"area-a"},
                        v1::AGENCY_KIND_HOTSPOT_SECRETARIAT};
  const Principal admin{"admin-it", "agency-it", Role::kAdmin, {"area-a"}};
  const Principal caseworker{
      "caseworker-eva", "agency-social", Role::kSocialCaseworker, {"area-a"}};
  const Principal teacher{"teacher-ole", "agency-school", Role::kAgencyMember, {"area-a"}};
  const Principal elsewhere{"caseworker-ib", "agency-social", Role::kSocialCaseworker, {"area-b"}};
  const Principal nobodys{"someone", "", Role::kAgencyMember, {"area-a"}};
  // A measure is its owning agency's alone: not the chief's staff's or an admin's (the
  // secretariat's own measures are its coordinators').
  for (const Principal* who : {&staff, &admin}) {
    EXPECT_EQ(MayRecordMeasurement(*who, "area-a", "agency-social").code(),
              absl::StatusCode::kPermissionDenied)
        << who->person;
  }
  EXPECT_TRUE(MayRecordMeasurement(staff, "area-a", "agency-hotspot").ok());
  EXPECT_TRUE(MayRecordMeasurement(caseworker, "area-a", "agency-social").ok());
  EXPECT_EQ(MayRecordMeasurement(teacher, "area-a", "agency-social").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MayRecordMeasurement(elsewhere, "area-a", "agency-social").code(),
            absl::StatusCode::kPermissionDenied);
  // A measure nobody owns is nobody's to record (the domain asks for DefineMeasure first).
  for (const Principal* who : {&staff, &admin, &caseworker, &nobodys}) {
    EXPECT_EQ(MayRecordMeasurement(*who, "area-a", "").code(), absl::StatusCode::kPermissionDenied)
        << who->person;
  }
}

// Issue 13's review: an agency arranges its own set-up; only its people answer its escalations;
// the hotspot secretariat acts on its own commitments like any agency, the chief as its leader.
TEST(PolicyTest, AnAgencysSetUpEscalationsAndCommitmentsAreItsOwn) {
  // The chief and her staff, admitted with their agency registered as the hotspot secretariat.
  const Principal chief{"chief-anna", "agency-hotspot", Role::kCoordinator, {"area-a"},
                        v1::AGENCY_KIND_HOTSPOT_SECRETARIAT};
  const Principal staff{"staff-bo", "agency-hotspot", Role::kCoordinator, {"area-a"},
                        v1::AGENCY_KIND_HOTSPOT_SECRETARIAT};
  const Principal admin{"admin-it", "agency-it", Role::kAdmin, {"area-a"}};
  const Principal head{"head-mette", "agency-school", Role::kAgencyLeader, {"area-a"}};
  const Principal teacher{"teacher-ole", "agency-school", Role::kAgencyMember, {"area-a"}};
  const Principal head_elsewhere{"head-mette", "agency-school", Role::kAgencyLeader, {"area-b"}};
  for (const Principal* who : {&head, &admin}) {
    EXPECT_TRUE(MaySetUpAgency(*who, "area-a", "agency-school", "set the ladder").ok())
        << who->person;
  }
  for (const Principal* who : {&chief, &staff, &teacher, &head_elsewhere}) {
    EXPECT_EQ(MaySetUpAgency(*who, "area-a", "agency-school", "set the ladder").code(),
              absl::StatusCode::kPermissionDenied)
        << who->person;
  }
  EXPECT_EQ(MaySetUpAgency(head, "area-a", "agency-police", "set the ladder").code(),
            absl::StatusCode::kPermissionDenied);

  // The contact's name is not enough: a person of the agency, in an agency role.
  const Principal namesake{"staff-bo", "agency-hotspot", Role::kCoordinator, {"area-a"}};
  const Principal contact{"staff-bo", "agency-school", Role::kAgencyMember, {"area-a"}};
  EXPECT_TRUE(MayAnswerEscalation(contact, "staff-bo", "agency-school", "L", "answer").ok());
  EXPECT_EQ(MayAnswerEscalation(namesake, "staff-bo", "agency-school", "L", "answer").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MayAnswerEscalation(head, "staff-bo", "agency-school", "L", "answer").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MayAnswerEscalation(contact, "", "agency-school", "L", "answer").code(),
            absl::StatusCode::kPermissionDenied);

  // The secretariat's commitment: its staff as members, the chief as its leader.
  for (const Principal* who : {&chief, &staff}) {
    EXPECT_TRUE(
        MayChangeCommitment(*who, "area-a", "agency-hotspot", "chief-anna", false, "fulfil").ok())
        << who->person;
  }
  EXPECT_TRUE(
      MayChangeCommitment(chief, "area-a", "agency-hotspot", "chief-anna", true, "cancel").ok());
  EXPECT_EQ(
      MayChangeCommitment(staff, "area-a", "agency-hotspot", "chief-anna", true, "cancel").code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MayChangeCommitment(chief, "area-a", "agency-hotspot", "", true, "cancel").code(),
            absl::StatusCode::kPermissionDenied);  // the chief not looked up: refused
  // A coordinator acts for her own agency only as the secretariat: bound to the school, she
  // neither fulfils nor accepts its commitment, nor speaks as the school.
  const Principal chief_as_school{"chief-anna", "agency-school", Role::kCoordinator, {"area-a"},
                                  v1::AGENCY_KIND_SCHOOL};
  const absl::Status as_school =
      MayChangeCommitment(chief_as_school, "area-a", "agency-school", "chief-anna", false, "fulfil");
  EXPECT_EQ(as_school.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(as_school.message().find("agency-school is registered as AGENCY_KIND_SCHOOL"),
            std::string::npos)
      << as_school;
  EXPECT_EQ(MayActAsAgency(chief_as_school, "area-a", "agency-school", "share").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(MayActAsAgency(staff, "area-a", "agency-hotspot", "share").ok());
  EXPECT_TRUE(MayCoordinate(chief_as_school, "area-a", "follow up").ok());
  // Another agency's: neither the chief nor her staff.
  for (const Principal* who : {&chief, &staff}) {
    EXPECT_EQ(
        MayChangeCommitment(*who, "area-a", "agency-school", "chief-anna", false, "fulfil").code(),
        absl::StatusCode::kPermissionDenied)
        << who->person;
  }
  EXPECT_TRUE(MayChangeCommitment(teacher, "area-a", "agency-school", "", false, "fulfil").ok());
  EXPECT_EQ(MayChangeCommitment(teacher, "area-a", "agency-school", "", true, "cancel").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(MayChangeCommitment(head, "area-a", "agency-school", "", true, "cancel").ok());
}

}  // namespace
}  // namespace hotspot::security
