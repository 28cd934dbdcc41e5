// youth.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <map>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(DecideTest, ReferralSealsPersonalDataAndChecksItsInput) {
  const std::string youth = Refer();
  ASSERT_EQ(w_.stream(youth).size(), 1u);
  const v1::Event& e = w_.stream(youth)[0];
  EXPECT_EQ(e.actor().person(), "teacher-ole");
  EXPECT_EQ(e.actor().role(), "agency_member");
  EXPECT_EQ(e.area_id(), "area-test");
  EXPECT_EQ(e.youth_referred().name().key_id(), youth);
  EXPECT_EQ(World::Unseal(e.youth_referred().name()), "Ahmed Jensen");
  EXPECT_EQ(World::Unseal(e.youth_referred().address()),
            "Sjaeloer Boulevard 7, 2450 Copenhagen SV");
  EXPECT_EQ(EventType(e), "hotspot.v1.YouthReferred");
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_REFERRED);

  // Personal data never stands in clear in an event.
  for (const char* clear : {"Ahmed", "Jensen", "010110-4234", "2010-01-01", "Sjaeloer", "Absent"}) {
    EXPECT_FALSE(absl::StrContains(w_.all_bytes(), clear)) << clear;
  }

  struct Bad {
    const char* field;
    void (*mutate)(v1::ReferYouthRequest&);
  } bad[] = {
      {"request_id", [](v1::ReferYouthRequest& r) { r.clear_request_id(); }},
      {"request_id", [](v1::ReferYouthRequest& r) { r.set_request_id("has space"); }},
      {"area_id", [](v1::ReferYouthRequest& r) { r.set_area_id("youth-1"); }},
      {"referred_by", [](v1::ReferYouthRequest& r) { r.clear_referred_by(); }},
      {"concerns", [](v1::ReferYouthRequest& r) { r.clear_concerns(); }},
      {"concerns[1]",
       [](v1::ReferYouthRequest& r) { r.add_concerns(static_cast<v1::ConcernCategory>(99)); }},
      {"description", [](v1::ReferYouthRequest& r) { r.set_description(std::string(10001, 'x')); }},
      {"urgency", [](v1::ReferYouthRequest& r) { r.set_urgency(static_cast<v1::Urgency>(42)); }},
      {"name", [](v1::ReferYouthRequest& r) { r.clear_name(); }},
      {"cpr_number", [](v1::ReferYouthRequest& r) { r.set_cpr_number("0101101234"); }},
      // Born 1910 by its century digit, not 2010 as the birth date says.
      {"cpr_number", [](v1::ReferYouthRequest& r) { r.set_cpr_number("010110-1234"); }},
      {"cpr_number", [](v1::ReferYouthRequest& r) { r.set_cpr_number("020110-4234"); }},
      {"birth_date", [](v1::ReferYouthRequest& r) { r.set_birth_date("2010-02-30"); }},
      // Dates of a request are from 1900 to 9999, a birth date (a string) as the others.
      {"birth_date", [](v1::ReferYouthRequest& r) {
         r.clear_cpr_number();
         r.set_birth_date("1899-12-31");
       }},
      {"birth_date", [](v1::ReferYouthRequest& r) {
         r.clear_cpr_number();
         r.set_birth_date("1000-06-01");
       }},
      // No control characters: a name that forges a table row or colours a terminal, a name
      // that reads backwards, broken UTF-8; a name is one line, a description may have several.
      {"name", [](v1::ReferYouthRequest& r) { r.set_name("Emil\r\nforged | row"); }},
      {"name", [](v1::ReferYouthRequest& r) { r.set_name("\x1b[31mEmil"); }},
      {"name", [](v1::ReferYouthRequest& r) { r.set_name("Emil \xe2\x80\xaeneslraL"); }},
      {"name", [](v1::ReferYouthRequest& r) { r.set_name("Emil\nLarsen"); }},
      {"address", [](v1::ReferYouthRequest& r) { r.set_address(std::string("Vej 1\0", 6)); }},
      {"description", [](v1::ReferYouthRequest& r) { r.set_description("\xff\xfe"); }},
      {"description", [](v1::ReferYouthRequest& r) { r.set_description("a\tb\x07"); }},
  };
  for (const Bad& b : bad) {
    v1::ReferYouthRequest r = Referral();
    b.mutate(r);
    const absl::StatusOr<Decision> d = w_.Run(r, school_member_);
    EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument) << b.field;
    EXPECT_TRUE(absl::StartsWith(d.status().message(), absl::StrCat(b.field, ":")))
        << b.field << " vs " << d.status().message();
  }

  // Free text keeps its lines, and any script.
  v1::ReferYouthRequest lines = Referral();
  lines.set_request_id("refer-lines");
  lines.set_description("Seen at the station twice.\nThe mother called the school.");
  lines.set_name("Åse Møller-Nørgaard");
  EXPECT_TRUE(w_.Run(lines, school_member_).ok());

  // An unknown youth: no personal data needed.
  v1::ReferYouthRequest unknown = Referral();
  unknown.set_identity_known(false);
  unknown.clear_name();
  unknown.clear_cpr_number();
  EXPECT_TRUE(w_.Run(unknown, chief_).ok());

  // An agency member refers only for their own agency; an auditor not at all.
  v1::ReferYouthRequest other = Referral();
  other.set_referring_agency_id("agency-police");
  EXPECT_EQ(Code(w_.Run(other, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(Referral(), auditor_)), absl::StatusCode::kPermissionDenied);
  other.set_referring_agency_id("agency-nowhere");
  EXPECT_EQ(Code(w_.Run(other, chief_)), absl::StatusCode::kNotFound);
}

// The concern shared under § 115 by the police with the school: who may share under which
// basis, who may receive it, and what the event holds.
TEST_F(DecideTest, LegalBasesDecideWhoMaySharePutTheRecipientsAndSealTheCategories) {
  Register("agency-housing", v1::AGENCY_KIND_HOUSING_ASSOCIATION);
  Register("agency-ngo", v1::AGENCY_KIND_NGO);
  auto free_school = Req<v1::RegisterAgencyRequest>();
  free_school.set_agency_id("agency-free-school");
  free_school.set_area_id("area-test");
  free_school.set_name("Free school");
  free_school.set_kind(v1::AGENCY_KIND_OTHER);
  free_school.set_self_governing_institution(true);
  w_.Do(free_school, chief_);
  const std::string youth = Refer();
  const Principal housing = Who("caretaker-per", "agency-housing", Role::kAgencyMember);
  const Principal ngo = Who("volunteer-mia", "agency-ngo", Role::kAgencyMember);

  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-police");
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  share.add_concerns(v1::CONCERN_CATEGORY_CHARGES);
  share.add_concerns(v1::CONCERN_CATEGORY_GANG_AFFILIATION);
  share.set_text("Charged with theft; seen with the Loop gang");
  // Recipients and the necessity statement are required.
  absl::StatusOr<Decision> d = w_.Run(share, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("necessity"));
  share.set_necessity("The school must know to keep him away from the older boys");
  d = w_.Run(share, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("recipient_agency_ids"));
  // A housing association receives nothing under § 115.
  share.add_recipient_agency_ids("agency-housing");
  d = w_.Run(share, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("LEGAL_BASIS_SSP_EXCHANGE"));
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("agency-housing"));
  // Nor an NGO; an unknown agency is not found.
  share.set_recipient_agency_ids(0, "agency-ngo");
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kFailedPrecondition);
  share.set_recipient_agency_ids(0, "agency-nowhere");
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kNotFound);
  // The school and a self-governing institution that joined under stk. 3 may.
  share.set_recipient_agency_ids(0, "agency-school");
  share.add_recipient_agency_ids("agency-free-school");
  const Decision shared = w_.Do(share, police_leader_);
  const v1::ConcernShared& event = shared.writes[0].events[0].concern_shared();
  EXPECT_THAT(event.recipient_agency_ids(), ElementsAre("agency-free-school", "agency-school"));
  EXPECT_EQ(event.legal_basis(), v1::LEGAL_BASIS_SSP_EXCHANGE);
  // The categories are sealed like the free texts; only their number stands in clear.
  EXPECT_TRUE(event.concerns().empty());
  EXPECT_EQ(event.concern_count(), 2);
  EXPECT_EQ(World::Unseal(event.concerns_sealed()),
            "CONCERN_CATEGORY_CHARGES,CONCERN_CATEGORY_GANG_AFFILIATION");
  EXPECT_EQ(World::Unseal(event.necessity()),
            "The school must know to keep him away from the older boys");
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "Loop gang"));
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "CONCERN_CATEGORY_CHARGES"));
  // The referral's categories are sealed too.
  const v1::YouthReferred& referred = w_.stream(youth)[0].youth_referred();
  EXPECT_TRUE(referred.concerns().empty());
  EXPECT_EQ(referred.concern_count(), 1);
  EXPECT_EQ(World::Unseal(referred.concerns_sealed()), "CONCERN_CATEGORY_SCHOOL_ABSENCE");

  // § 63 d: the police's information about criminal decisions goes to a housing association,
  // from the police only.
  auto decision = Req<v1::ShareConcernRequest>();
  decision.set_youth_id(youth);
  decision.set_agency_id("agency-police");
  decision.set_legal_basis(v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS);
  decision.set_text("Convicted of vandalism in the stairwell");
  decision.set_necessity("The association decides on the family's lease");
  decision.add_recipient_agency_ids("agency-school");
  // Criminal decisions only: not the family's circumstances.
  decision.add_concerns(v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
  d = w_.Run(decision, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("concerns[0]: under Almenboligloven"));
  decision.set_concerns(0, v1::CONCERN_CATEGORY_CHARGES);
  EXPECT_EQ(Code(w_.Run(decision, police_leader_)), absl::StatusCode::kFailedPrecondition);
  decision.set_recipient_agency_ids(0, "agency-housing");
  w_.Do(decision, police_leader_);
  decision.set_request_id("63d-by-school");
  decision.set_agency_id("agency-school");
  d = w_.Run(decision, school_member_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("LEGAL_BASIS_HOUSING_CRIMINAL"));

  // A housing association receives nothing else: not under another basis either.
  auto other_basis = decision;
  other_basis.set_request_id("other-to-housing");
  other_basis.set_agency_id("agency-police");
  other_basis.set_legal_basis(v1::LEGAL_BASIS_OTHER);
  other_basis.set_legal_basis_other("Forvaltningsloven § 28");
  other_basis.set_recipient_agency_ids(0, "agency-housing");
  d = w_.Run(other_basis, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("only the police's criminal"));
  // Nor an NGO: outside the § 115 exchange it receives a youth's data only on consent (the
  // second review's: an NGO read the police's share and the youth's identity this way).
  Register("agency-ngo-other", v1::AGENCY_KIND_NGO);
  other_basis.set_recipient_agency_ids(0, "agency-ngo-other");
  d = w_.Run(other_basis, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("receives only on consent"));
  // The sharer is not its own recipient (it would read the case by writing about the youth).
  other_basis.set_recipient_agency_ids(0, "agency-police");
  d = w_.Run(other_basis, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("the sharing agency is not a recipient"));

  // A housing association shares nothing under § 115; an NGO only on consent.
  for (const auto& [agency, who] :
       {std::pair{"agency-housing", housing}, std::pair{"agency-ngo", ngo}}) {
    auto own = Req<v1::ShareConcernRequest>();
    own.set_youth_id(youth);
    own.set_agency_id(agency);
    own.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
    own.set_text("Noise at night");
    own.set_necessity("To prevent trouble");
    own.add_recipient_agency_ids("agency-school");
    d = w_.Run(own, who);
    EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition) << agency;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("legal_basis"));
    // Another basis needs its legal reference.
    own.set_legal_basis(v1::LEGAL_BASIS_OTHER);
    d = w_.Run(own, who);
    EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("legal_basis_other"));
  }
}

// A CPR number given without a birth date gives the birth date it tells: the 18th birthday is
// known (consents lapse, the hand-over's age is checked).
TEST_F(DecideTest, ACprNumberWithoutABirthDateGivesTheBirthDate) {
  auto referral = Referral();
  referral.clear_birth_date();
  referral.set_cpr_number("150109-4321");
  const std::string youth = w_.Do(referral, school_member_).id;
  ASSERT_EQ(w_.stream(youth).size(), 1u);
  const v1::YouthReferred& referred = w_.stream(youth)[0].youth_referred();
  EXPECT_EQ(World::Unseal(referred.birth_date()), "2009-01-15");
  EXPECT_EQ(referred.birth_date().key_id(), youth);
  referral.set_request_id("no-cpr-either");
  referral.clear_cpr_number();
  const std::string unknown = w_.Do(referral, school_member_).id;
  ASSERT_EQ(w_.stream(unknown).size(), 1u);
  EXPECT_TRUE(w_.stream(unknown)[0].youth_referred().birth_date().ciphertext().empty());
}

TEST_F(DecideTest, ConsentHasAGiverAScopeAndCoversOnlyItsAgencies) {
  Register("agency-ngo", v1::AGENCY_KIND_NGO);
  const Principal ngo = Who("volunteer-mia", "agency-ngo", Role::kAgencyMember);
  const std::string youth = Refer();  // born 2010-01-01: 16 on 2026-11-23
  auto young = Referral();
  young.set_birth_date("2013-06-01");  // 13
  young.set_cpr_number("010613-4234");
  const std::string child = w_.Do(young, school_member_).id;

  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("ngo mentoring");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.set_purpose("mentoring after school");
  consent.set_what("how school is going");
  // Its categories are required.
  consent.add_agency_ids("agency-ngo");
  absl::StatusOr<Decision> d = w_.Run(consent, caseworker_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("categories"));
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  consent.add_categories(v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
  consent.clear_agency_ids();
  // Its agencies are required, and must be of the area.
  EXPECT_EQ(Code(w_.Run(consent, caseworker_)), absl::StatusCode::kInvalidArgument);
  consent.add_agency_ids("agency-nowhere");
  EXPECT_EQ(Code(w_.Run(consent, caseworker_)), absl::StatusCode::kNotFound);
  consent.set_agency_ids(0, "agency-ngo");
  consent.add_agency_ids("agency-school");
  const Decision given = w_.Do(consent, caseworker_);
  const v1::ConsentRecorded& recorded = given.writes[0].events[0].consent_recorded();
  EXPECT_EQ(recorded.giver_age(), 16);
  EXPECT_THAT(recorded.agency_ids(), ElementsAre("agency-ngo", "agency-school"));
  EXPECT_EQ(World::Unseal(recorded.what()), "how school is going");
  // Its categories are special-category data: sealed like the concerns.
  EXPECT_EQ(World::Unseal(recorded.categories_sealed()),
            "CONCERN_CATEGORY_SCHOOL_ABSENCE,CONCERN_CATEGORY_FAMILY_TROUBLE");
  // Who gave it and why may name the family: sealed too, nothing in clear.
  EXPECT_EQ(World::Unseal(recorded.given_by_sealed()), "the youth");
  EXPECT_EQ(World::Unseal(recorded.purpose_sealed()), "mentoring after school");
  EXPECT_EQ(recorded.given_by_sealed().key_id(), youth);
  EXPECT_EQ(recorded.given_by(), "");
  EXPECT_EQ(recorded.purpose(), "");
  // Its name is someone's words too: sealed, and the consent has an id, returned to the caller.
  EXPECT_EQ(recorded.scope(), "");
  EXPECT_EQ(World::Unseal(recorded.scope_sealed()), "ngo mentoring");
  EXPECT_EQ(recorded.scope_sealed().key_id(), youth);
  const std::string consent_id = recorded.consent_id();
  EXPECT_TRUE(absl::StartsWith(consent_id, "consent-")) << consent_id;
  EXPECT_THAT(given.created_ids, ElementsAre(consent_id));
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "ngo mentoring"));
  // A custody holder does not consent for a youth of 16: from 15 the youth does. Below 15 the
  // youth cannot.
  auto by_mother = consent;
  by_mother.set_request_id("mother-for-16");
  by_mother.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
  by_mother.set_given_by("the mother");
  d = w_.Run(by_mother, caseworker_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("from 15 the youth gives consent"));
  auto for_child = consent;
  for_child.set_request_id("child-consent");
  for_child.set_youth_id(child);
  d = w_.Run(for_child, caseworker_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("below 15"));
  for_child.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
  for_child.set_given_by("the mother");
  EXPECT_EQ(w_.Do(for_child, caseworker_).writes[0].events[0].consent_recorded().giver_age(), 13);

  // The NGO shares on the consent, with the school; not with the police, which it does not cover.
  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-ngo");
  share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  share.set_text("Skips the homework club");
  share.add_recipient_agency_ids("agency-police");
  // Why it is necessary, on consent too (data minimisation).
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), "necessity: required");
  share.set_necessity("The school can help with the homework");
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("covers"));
  share.set_recipient_agency_ids(0, "agency-school");
  // Only what the consent covers: the share names its categories, each one covered.
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("names its categories"));
  share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  share.add_concerns(v1::CONCERN_CATEGORY_SUBSTANCE_USE);
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            "concerns[1]: the consent \"ngo mentoring\" does not cover "
            "CONCERN_CATEGORY_SUBSTANCE_USE");
  share.mutable_concerns()->RemoveLast();
  const Decision shared = w_.Do(share, ngo);
  // The share names its consent by id: the name stays sealed in the consent.
  EXPECT_EQ(shared.writes[0].events[0].concern_shared().consent_id(), consent_id);
  EXPECT_EQ(shared.writes[0].events[0].concern_shared().consent_scope(), "");
  // By name or by id, not both; an id that is no consent of the youth's is none in force.
  share.set_request_id("by-name-and-id");
  share.set_consent_scope("ngo mentoring");
  share.set_consent_id(consent_id);
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("consent_id: name the consent by"));
  share.clear_consent_scope();
  share.set_consent_id("consent-0000");
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("consent_id: no consent \"consent-0000\" is in force for ", youth));
  share.set_consent_id(consent_id);
  EXPECT_EQ(w_.Do(share, ngo).writes[0].events[0].concern_shared().consent_id(), consent_id);
  share.clear_consent_id();
  // A consent is named only on a share on consent.
  auto named_elsewhere = share;
  named_elsewhere.set_legal_basis(v1::LEGAL_BASIS_OTHER);
  named_elsewhere.set_legal_basis_other("Forvaltningsloven § 28");
  named_elsewhere.set_consent_scope("ngo mentoring");
  d = w_.Run(named_elsewhere, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("consent_scope: only a share under"));
  // Withdrawn, by its id (or its name), nothing more is shared under it.
  auto withdraw = Req<v1::WithdrawConsentRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_consent_id(consent_id);
  const Decision withdrawn = w_.Do(withdraw, chief_);
  EXPECT_EQ(withdrawn.writes[0].events[0].consent_withdrawn().consent_id(), consent_id);
  EXPECT_EQ(withdrawn.writes[0].events[0].consent_withdrawn().scope(), "");
  share.set_request_id("after-withdrawal");
  EXPECT_EQ(Code(w_.Run(share, ngo)), absl::StatusCode::kFailedPrecondition);
  share.set_consent_scope("ngo mentoring");
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("consent_scope"));
  withdraw.set_request_id("withdrawn-twice");
  withdraw.clear_consent_id();
  withdraw.set_scope("ngo mentoring");
  d = w_.Run(withdraw, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("scope: no consent \"ngo mentoring\" is in force for ", youth));
  withdraw.clear_scope();
  d = w_.Run(withdraw, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), "scope: required (or consent_id)");
  // Given again under its name, it is the same consent again: the same id.
  consent.set_request_id("given-again");
  const Decision again = w_.Do(consent, caseworker_);
  EXPECT_EQ(again.writes[0].events[0].consent_recorded().consent_id(), consent_id);
  EXPECT_THAT(again.created_ids, ElementsAre(consent_id));
  share.set_request_id("after-given-again");
  EXPECT_EQ(w_.Do(share, ngo).writes[0].events[0].concern_shared().consent_id(), consent_id);
  // Under another name, it is another consent.
  consent.set_request_id("another-consent");
  consent.set_scope("ngo homework club");
  const Decision other = w_.Do(consent, caseworker_);
  EXPECT_NE(other.writes[0].events[0].consent_recorded().consent_id(), consent_id);
}

// A consent recorded before consent ids is named by its scope in clear: withdrawn, shared on
// and recorded again by that name, its events keep naming it so.
TEST_F(DecideTest, AConsentOfBeforeIsNamedByItsScope) {
  Register("agency-ngo", v1::AGENCY_KIND_NGO);
  const Principal ngo = Who("volunteer-mia", "agency-ngo", Role::kAgencyMember);
  const std::string youth = Refer();
  v1::Event old;
  old.set_area_id("area-test");
  auto* recorded = old.mutable_consent_recorded();
  recorded->set_youth_id(youth);
  recorded->set_scope("the old form");
  recorded->set_given_by("the youth");
  recorded->add_agency_ids("agency-ngo");
  recorded->add_agency_ids("agency-school");
  Decision before;
  before.writes.push_back(StreamWrite{youth, w_.stream(youth).size(), {old}});
  w_.Apply(before);
  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-ngo");
  share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  share.set_text("Skips the homework club");
  share.set_necessity("The school can help with the homework");
  share.add_recipient_agency_ids("agency-school");
  const Decision shared = w_.Do(share, ngo);
  EXPECT_EQ(shared.writes[0].events[0].concern_shared().consent_scope(), "the old form");
  EXPECT_EQ(shared.writes[0].events[0].concern_shared().consent_id(), "");
  auto again = Req<v1::RecordConsentRequest>();
  again.set_youth_id(youth);
  again.set_scope("the old form");
  again.set_given_by("the youth");
  again.set_giver(v1::CONSENT_GIVER_YOUTH);
  again.add_agency_ids("agency-ngo");
  again.set_purpose("mentoring");
  again.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  const Decision given = w_.Do(again, caseworker_);
  EXPECT_EQ(given.writes[0].events[0].consent_recorded().scope(), "the old form");
  EXPECT_EQ(given.writes[0].events[0].consent_recorded().consent_id(), "");
  EXPECT_TRUE(given.created_ids.empty());
  auto withdraw = Req<v1::WithdrawConsentRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_scope("the old form");
  const Decision withdrawn = w_.Do(withdraw, chief_);
  EXPECT_EQ(withdrawn.writes[0].events[0].consent_withdrawn().scope(), "the old form");
  EXPECT_EQ(withdrawn.writes[0].events[0].consent_withdrawn().consent_id(), "");
}

// Barnets lov's deadlines count from the Danish calendar day: a notification made at 00:30 on a
// Monday in Copenhagen (23:30 UTC on Sunday) counts from Monday.
TEST(WorkingDaysTest, DeadlinesCountFromTheDanishDay) {
  using absl::CivilDay;
  auto at = [](int y, int m, int d, int h, int min) {
    return absl::FromCivil(absl::CivilMinute(y, m, d, h, min), absl::UTCTimeZone());
  };
  EXPECT_EQ(DanishDay(at(2026, 11, 22, 23, 30)), CivilDay(2026, 11, 23));  // CET
  EXPECT_EQ(DanishDay(at(2026, 11, 22, 22, 59)), CivilDay(2026, 11, 22));
  EXPECT_EQ(DanishDay(at(2026, 7, 5, 22, 30)), CivilDay(2026, 7, 6));  // CEST
  EXPECT_EQ(DanishDay(at(2026, 7, 5, 21, 59)), CivilDay(2026, 7, 5));
  // The switches: summer time from 29 March 2026 01:00 UTC to 25 October 2026 01:00 UTC.
  EXPECT_EQ(DanishDay(at(2026, 3, 28, 22, 59)), CivilDay(2026, 3, 28));
  EXPECT_EQ(DanishDay(at(2026, 3, 28, 23, 0)), CivilDay(2026, 3, 29));
  EXPECT_EQ(DanishDay(at(2026, 10, 24, 21, 59)), CivilDay(2026, 10, 24));
  EXPECT_EQ(DanishDay(at(2026, 10, 24, 22, 0)), CivilDay(2026, 10, 25));
  EXPECT_EQ(AfterWorkingDays(DanishDay(at(2026, 11, 22, 23, 30)), 6), CivilDay(2026, 12, 1));
}

// The receipt's 6 working days ("hverdage") skip weekends, the Danish public holidays and the
// days public administrations close.
TEST(WorkingDaysTest, HolidaysAndClosingDaysAreNoWorkingDays) {
  using absl::CivilDay;
  // Easter 2027 (28 March): Maundy Thursday, Good Friday and Easter Monday.
  EXPECT_EQ(AfterWorkingDays(CivilDay(2027, 3, 24), 6), CivilDay(2027, 4, 6));
  // Christmas Eve to Boxing Day, New Year's Eve and Day.
  EXPECT_EQ(AfterWorkingDays(CivilDay(2026, 12, 22), 6), CivilDay(2027, 1, 5));
  // An ordinary week: Tuesday to Friday, then Monday and Tuesday.
  EXPECT_EQ(AfterWorkingDays(CivilDay(2026, 11, 23), 6), CivilDay(2026, 12, 1));
  for (const CivilDay closed :
       {CivilDay(2026, 1, 1), CivilDay(2026, 4, 2), CivilDay(2026, 4, 3), CivilDay(2026, 4, 6),
        CivilDay(2026, 5, 14), CivilDay(2026, 5, 25), CivilDay(2026, 6, 5), CivilDay(2023, 5, 5),
        CivilDay(2038, 6, 3), CivilDay(2038, 6, 14)}) {
    EXPECT_FALSE(IsWorkingDay(closed)) << closed;
  }
  // Great Prayer Day is a working day from 2024; the days around the holidays are.
  for (const CivilDay open : {CivilDay(2024, 4, 26), CivilDay(2026, 5, 1), CivilDay(2026, 4, 1),
                              CivilDay(2026, 4, 7), CivilDay(2026, 12, 23), CivilDay(2026, 6, 4)}) {
    EXPECT_TRUE(IsWorkingDay(open)) << open;
  }
}

// Barnets lov: a professional notifies; the social administration's caseworkers assess,
// confirm the receipt and investigate, each once, with the law's deadlines in the events.
TEST_F(DecideTest, ANotificationIsAssessedConfirmedAndInvestigatedByTheSocialAdministration) {
  const std::string youth = Refer();  // now: Monday 2026-11-23, 10:00 UTC
  auto notify = Req<v1::NotifyChildWelfareRequest>();
  notify.set_youth_id(youth);
  notify.set_agency_id("agency-police");
  notify.set_text("Found alone at the station at 2 a.m.");
  EXPECT_EQ(Code(w_.Run(notify, school_member_)), absl::StatusCode::kPermissionDenied);
  notify.set_agency_id("agency-school");
  const Decision made = w_.Do(notify, school_member_);
  const v1::NotificationMade& event = made.writes[0].events[0].notification_made();
  const std::string id = made.id;
  EXPECT_EQ(event.notification_id(), id);
  EXPECT_EQ(event.notified_by(), "teacher-ole");
  EXPECT_EQ(World::Unseal(event.text()), "Found alone at the station at 2 a.m.");
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "2 a.m."));
  // 24 hours; 6 working days: Tuesday to Friday, then Monday and Tuesday.
  EXPECT_EQ(event.assessment_due_at().seconds(), absl::ToUnixSeconds(w_.now_ + absl::Hours(24)));
  EXPECT_EQ(event.receipt_due_on().day(), 1);
  EXPECT_EQ(event.receipt_due_on().month(), 12);
  // Made at 00:30 on Monday in Copenhagen (Sunday 23:30 UTC): it counts from Monday too.
  const absl::Time monday = w_.now_;
  w_.now_ = absl::FromCivil(absl::CivilMinute(2026, 11, 22, 23, 30), absl::UTCTimeZone());
  notify.set_request_id("notify-at-half-past-midnight");
  const v1::NotificationMade early =
      w_.Do(notify, school_member_).writes[0].events[0].notification_made();
  w_.now_ = monday;
  EXPECT_EQ(early.receipt_due_on().day(), 1);
  EXPECT_EQ(early.receipt_due_on().month(), 12);

  auto assess = Req<v1::AssessNotificationRequest>();
  assess.set_youth_id(youth);
  assess.set_notification_id(id);
  assess.set_assessment("No acute danger; a talk with the family this week");
  EXPECT_EQ(Code(w_.Run(assess, chief_)), absl::StatusCode::kPermissionDenied);
  const Principal caseworker_elsewhere =
      Who("caseworker-bo", "agency-school", Role::kSocialCaseworker);  // not of the social admin.
  EXPECT_EQ(Code(w_.Run(assess, caseworker_elsewhere)), absl::StatusCode::kPermissionDenied);
  assess.set_notification_id("notification-unknown");
  EXPECT_EQ(Code(w_.Run(assess, caseworker_)), absl::StatusCode::kNotFound);
  assess.set_notification_id(id);
  const Decision assessed = w_.Do(assess, caseworker_);
  EXPECT_EQ(assessed.writes[0].events[0].notification_assessed().notification_id(), id);
  assess.set_request_id("assess-again");
  EXPECT_EQ(Code(w_.Run(assess, caseworker_)), absl::StatusCode::kFailedPrecondition);

  auto receipt = Req<v1::ConfirmNotificationReceiptRequest>();
  receipt.set_youth_id(youth);
  receipt.set_notification_id(id);
  EXPECT_TRUE(w_.Do(receipt, caseworker_).writes[0].events[0].has_notification_receipt_confirmed());
  receipt.set_request_id("receipt-again");
  EXPECT_EQ(Code(w_.Run(receipt, caseworker_)), absl::StatusCode::kFailedPrecondition);

  auto open = Req<v1::OpenChildWelfareInvestigationRequest>();
  open.set_youth_id(youth);
  open.set_notification_id(id);
  EXPECT_EQ(Code(w_.Run(open, school_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision opened = w_.Do(open, caseworker_);
  const v1::ChildWelfareInvestigationOpened& investigation =
      opened.writes[0].events[0].child_welfare_investigation_opened();
  EXPECT_EQ(investigation.due_on().year(), 2027);  // four months on: 2027-03-23
  EXPECT_EQ(investigation.due_on().month(), 3);
  EXPECT_EQ(investigation.due_on().day(), 23);
  open.set_request_id("open-again");
  EXPECT_EQ(Code(w_.Run(open, caseworker_)), absl::StatusCode::kFailedPrecondition);  // one open

  auto complete = Req<v1::CompleteChildWelfareInvestigationRequest>();
  complete.set_youth_id(youth);
  complete.set_investigation_id(opened.id);
  EXPECT_EQ(Code(w_.Run(complete, caseworker_)), absl::StatusCode::kInvalidArgument);  // text
  complete.set_conclusion("Support measures offered to the family");
  w_.Do(complete, caseworker_);
  complete.set_request_id("complete-again");
  EXPECT_EQ(Code(w_.Run(complete, caseworker_)), absl::StatusCode::kFailedPrecondition);
  open.set_request_id("open-after");
  EXPECT_TRUE(w_.Run(open, caseworker_).ok());  // the first is completed
}

TEST_F(DecideTest, ACorrectionOfIdentifyingDataIsSealedLikeTheOriginal) {
  const std::string youth = Refer();
  auto fix = Req<v1::RectifyPersonalDataRequest>();
  fix.set_youth_id(youth);
  fix.set_field(v1::PERSONAL_DATA_FIELD_CPR_NUMBER);
  fix.set_value("0101101234");
  fix.set_reason("Mistyped at referral");
  absl::StatusOr<Decision> d = w_.Run(fix, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("value"));
  fix.set_value("010110-4321");
  EXPECT_EQ(Code(w_.Run(fix, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(fix, auditor_)), absl::StatusCode::kPermissionDenied);
  const Decision fixed = w_.Do(fix, caseworker_);
  const v1::PersonalDataRectified& event = fixed.writes[0].events[0].personal_data_rectified();
  EXPECT_EQ(event.field(), v1::PERSONAL_DATA_FIELD_CPR_NUMBER);
  EXPECT_EQ(World::Unseal(event.value()), "010110-4321");
  EXPECT_EQ(event.value().key_id(), youth);
  // The whole value: its last four digits alone turn up by chance in the ids' random hex digits.
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "010110-4321"));
  // The CPR number tells the birth date: a birth date it does not tell is refused; a corrected
  // CPR number corrects the birth date with it.
  fix.set_request_id("fix-birth");
  fix.set_field(v1::PERSONAL_DATA_FIELD_BIRTH_DATE);
  fix.set_value("2014-02-30");
  EXPECT_EQ(Code(w_.Run(fix, chief_)), absl::StatusCode::kInvalidArgument);
  fix.set_value("2014-02-03");
  d = w_.Run(fix, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("CPR number on record"));
  fix.set_request_id("fix-cpr-and-birth");
  fix.set_field(v1::PERSONAL_DATA_FIELD_CPR_NUMBER);
  fix.set_value("030214-4321");
  const Decision both = w_.Do(fix, chief_);
  ASSERT_EQ(both.writes[0].events.size(), 2u);
  const v1::PersonalDataRectified& follows = both.writes[0].events[1].personal_data_rectified();
  EXPECT_EQ(follows.field(), v1::PERSONAL_DATA_FIELD_BIRTH_DATE);
  EXPECT_EQ(World::Unseal(follows.value()), "2014-02-03");
  EXPECT_EQ(follows.value().key_id(), youth);
  EXPECT_EQ(World::Unseal(follows.reason()), "Mistyped at referral");
  // A birth date the CPR number tells is accepted (here: the same again).
  fix.set_request_id("fix-birth-again");
  fix.set_field(v1::PERSONAL_DATA_FIELD_BIRTH_DATE);
  fix.set_value("2014-02-03");
  EXPECT_EQ(w_.Do(fix, chief_).writes[0].events.size(), 1u);
  // A decided age from then on: at 12 the youth cannot consent.
  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("school");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.add_agency_ids("agency-school");
  consent.set_purpose("support");
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  d = w_.Run(consent, caseworker_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("is 12"));
}

TEST_F(DecideTest, ScreeningOutreachConsentAndConcerns) {
  const std::string youth = Refer();
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(youth);
  screen.set_accept(false);
  EXPECT_EQ(Code(w_.Run(screen, chief_)), absl::StatusCode::kInvalidArgument);  // reason
  screen.set_reason("Handled by the school's own team");
  EXPECT_EQ(Code(w_.Run(screen, school_leader_)), absl::StatusCode::kPermissionDenied);
  w_.Do(screen, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_DECLINED);
  EXPECT_EQ(Code(w_.Run(screen, chief_)), absl::StatusCode::kFailedPrecondition);

  // A declined referral cannot get an action plan.
  auto plan = Req<v1::AdoptActionPlanRequest>();
  plan.set_youth_id(youth);
  plan.add_goals("Back in school full time");
  *plan.mutable_review_date() = Day(2027, 2, 1);
  Cite(plan);
  const absl::StatusOr<Decision> refused = w_.Run(plan, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("declined"));

  // Reopened, it is a referral to screen again; accepted, it gets its plan.
  auto reopen = Req<v1::ReopenCaseRequest>();
  reopen.set_youth_id(youth);
  reopen.set_reason("New concern from the club");
  w_.Do(reopen, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_REFERRED);
  EXPECT_EQ(Code(w_.Run(plan, chief_)), absl::StatusCode::kFailedPrecondition);  // not screened
  screen.set_accept(true);
  screen.set_request_id("screen-again");
  w_.Do(screen, chief_);
  w_.Do(plan, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_ACTIVE);
  *plan.mutable_review_date() = Day(2026, 11, 23);  // today: not after it
  EXPECT_EQ(Code(w_.Run(plan, chief_)), absl::StatusCode::kInvalidArgument);
  // A second plan revises the first, and needs a reason.
  *plan.mutable_review_date() = Day(2027, 3, 1);
  plan.set_request_id("revise");
  Cite(plan);  // its own decision
  EXPECT_EQ(Code(w_.Run(plan, chief_)), absl::StatusCode::kInvalidArgument);
  plan.set_reason("School changed");
  const Decision revised = w_.Do(plan, chief_);
  EXPECT_EQ(revised.writes[0].events[0].action_plan_revised().revision(), 2);
  EXPECT_EQ(World::Unseal(revised.writes[0].events[0].action_plan_revised().reason()),
            "School changed");

  auto outreach = Req<v1::AssignOutreachRequest>();
  outreach.set_youth_id(youth);
  outreach.set_agency_id("agency-hotspot");
  outreach.set_person("street-ali");
  outreach.set_task("Find him at the youth club on Thursdays");
  w_.Do(outreach, chief_);

  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-police");
  share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  share.set_text("Stopped twice near the station");
  share.set_necessity("The school must know to keep him in class");
  share.add_recipient_agency_ids("agency-school");
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kFailedPrecondition);
  share.set_legal_basis(v1::LEGAL_BASIS_OTHER);
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kInvalidArgument);
  // Another basis names its provision: words alone are not a legal reference.
  share.set_legal_basis_other("because the school asked");
  absl::StatusOr<Decision> unreferenced = w_.Run(share, police_leader_);
  EXPECT_EQ(Code(unreferenced), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unreferenced.status().message()),
              HasSubstr("legal_basis_other: must be a legal reference"));
  // A reference and nothing else: it is not sealed, so no words about a person fit in it.
  for (const char* text :
       {"Forvaltningsloven § 28 because the mother called", "Ali Hassan § 12",
        "§ 28 Forvaltningsloven", "Forvaltningsloven §", "Forvaltningsloven § x",
        "Forvaltningsloven § 28, stk. 2 (asked by the father)", "the law § 1",
        // Found by the review: words before a law's name, or a name that only ends like one.
        "Ali Hassan Forvaltningsloven § 28", "Mor drikker far slår Ali Forvaltningsloven § 28",
        "Ali Hassan mother contact § 1", "Nørrebro-banden Ahmed Jensens lov § 1",
        // And by the next: words and numbers after the provision.
        "Forvaltningsloven § 28 0102031234", "Forvaltningsloven § 28 1(noah)(hansen)(stjal)",
        "Forvaltningsloven § 28 n o a h h a n s e n", "Forvaltningsloven § 28 og 1mor og 2drikker",
        "Forvaltningsloven § 28, stk. 2 litra mor",
        // And by the second review: numbers chained or lettered into data.
        "Forvaltningsloven § 200 og 809 og 113", "Forvaltningsloven § 2008",
        "Forvaltningsloven § 28a(m)(o)(r)", "Forvaltningsloven § 1(d)(a)",
        "Forvaltningsloven § 1 n og 2 o og 3 a",
        // And by the third: parts chained into data.
        "Forvaltningsloven § 200 stk. 809 stk. 113 stk. 3",
        "Forvaltningsloven § 1 litra n litra o litra a litra h",
        // And the fourth: a CPR number in a number and its part.
        "Forvaltningsloven § 200(809) stk. 11 nr. 33"}) {
    share.set_legal_basis_other(text);
    const absl::StatusOr<Decision> smuggled = w_.Run(share, police_leader_);
    EXPECT_EQ(Code(smuggled), absl::StatusCode::kInvalidArgument) << text;
  }
  for (const char* text :
       {"Barnets lov § 133", "GDPR art. 6(1)(e)", "Databeskyttelsesloven § 8",
        "Serviceloven § 11 a, stk. 3, nr. 2", "Barnets lov § 133 og § 134, stk. 1, litra b"}) {
    share.set_legal_basis_other(text);
    EXPECT_TRUE(w_.Run(share, police_leader_).ok()) << text;
  }
  // § 115 and § 63 d are bases of their own, with their rules of who shares and receives: they
  // are not cited as another basis (the review's: a housing association sharing "under
  // Retsplejeloven § 115" as another basis).
  for (const char* text : {"Retsplejeloven § 115", "Retsplejeloven § 115 a, stk. 1, nr. 2",
                           "Almenboligloven § 63 d"}) {
    share.set_legal_basis_other(text);
    const absl::StatusOr<Decision> own = w_.Run(share, police_leader_);
    EXPECT_EQ(Code(own), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(own.status().message()), HasSubstr("is not another basis")) << text;
  }
  share.set_legal_basis_other("Forvaltningsloven § 28, stk. 2");
  EXPECT_TRUE(w_.Run(share, police_leader_).ok());
  share.clear_legal_basis_other();
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  EXPECT_EQ(Code(w_.Run(share, school_member_)), absl::StatusCode::kPermissionDenied);
  // Only the police share as the police: not the chief either.
  const absl::StatusOr<Decision> by_chief = w_.Run(share, chief_);
  EXPECT_EQ(Code(by_chief), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(by_chief.status().message()), HasSubstr("only agency-police itself"));
  w_.Do(share, police_leader_);

  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("school and social services");
  consent.set_given_by("the youth");
  EXPECT_EQ(Code(w_.Run(consent, caseworker_)), absl::StatusCode::kInvalidArgument);  // giver
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);                                         // 16
  consent.add_agency_ids("agency-school");
  consent.add_agency_ids("agency-social");
  consent.set_purpose("support at school");
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  EXPECT_EQ(Code(w_.Run(consent, school_member_)), absl::StatusCode::kPermissionDenied);
  w_.Do(consent, caseworker_);
  auto withdraw = Req<v1::WithdrawConsentRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_scope("school and social services");
  w_.Do(withdraw, chief_);
  EXPECT_EQ(Code(w_.Run(withdraw, chief_)), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "Thursdays"));
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "station"));
}

TEST_F(DecideTest, OnlyTheSocialAdministrationsCaseworkersRecordSocialAssessments) {
  const std::string youth = AcceptedYouth();
  auto decision = Req<v1::RecordSocialDecisionRequest>();
  decision.set_youth_id(youth);
  decision.set_decision("Family support under barnets lov § 32");
  EXPECT_EQ(Code(w_.Run(decision, chief_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(decision, school_leader_)), absl::StatusCode::kPermissionDenied);
  // A caseworker role in an agency that is not the social administration is not enough.
  const Principal misfiled = Who("cw-x", "agency-school", Role::kSocialCaseworker);
  EXPECT_EQ(Code(w_.Run(decision, misfiled)), absl::StatusCode::kPermissionDenied);
  const Decision d = w_.Do(decision, caseworker_);
  EXPECT_EQ(d.writes[0].events[0].actor().agency_id(), "agency-social");
}

TEST_F(DecideTest, ACaseCannotCloseWithOpenCommitmentsNorTakeNewOnesWhileClosed) {
  const std::string youth = AcceptedYouth();
  const std::string commitment = Commitment(youth);

  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
  Cite(close);
  const absl::StatusOr<Decision> refused = w_.Run(close, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr(commitment));

  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  w_.Do(fulfil, school_member_);
  const Decision closed = w_.Do(close, chief_);
  // The close read the commitment: a concurrent change to it would fail the append.
  bool pinned = false;
  for (const auto& write : closed.writes) pinned |= write.stream == commitment;
  EXPECT_TRUE(pinned);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_CLOSED);

  // A closed case takes no new commitments until it is reopened.
  const std::string meeting = MeetingFor(youth);
  const absl::StatusOr<Decision> more = w_.Run(DecisionWithCommitment(meeting, youth), chief_);
  EXPECT_EQ(Code(more), absl::StatusCode::kFailedPrecondition);
  auto reopen = Req<v1::ReopenCaseRequest>();
  reopen.set_youth_id(youth);
  reopen.set_reason("Truancy again");
  w_.Do(reopen, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_ACCEPTED);
  w_.Do(DecisionWithCommitment(meeting, youth), chief_);
}

// Issue 13 S6: an action plan, a closure and a handover recorded by their own commands stand on
// a decision of the task force or the steering group about the youth, at a held meeting, cited
// once; their events name it. Events of before name none and replay as they were.
TEST_F(DecideTest, APlanAndAClosureStandOnADecisionOfABodyThatDecides) {
  const std::string youth = AcceptedYouth();
  auto refused = [&](const auto& request, absl::StatusCode code, const std::string& part) {
    const absl::StatusOr<Decision> d = w_.Run(request, chief_);
    EXPECT_EQ(Code(d), code) << d.status();
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(part));
  };
  constexpr absl::StatusCode kRule = absl::StatusCode::kFailedPrecondition;
  auto plan = Req<v1::AdoptActionPlanRequest>();
  plan.set_youth_id(youth);
  plan.add_goals("Back in school full time");
  *plan.mutable_review_date() = Day(2027, 2, 1);
  // None cited: malformed.
  refused(plan, absl::StatusCode::kInvalidArgument, "decision_id: ");
  plan.set_decision_id("decision-unknown");
  refused(plan, absl::StatusCode::kInvalidArgument, "meeting_id: ");
  // No such decision at the meeting.
  const std::string meeting = MeetingFor(youth);
  plan.set_meeting_id(meeting);
  refused(plan, kRule,
          absl::StrCat("decision_id: decision-unknown is no decision recorded at ", meeting));
  // A decision about another youth, or the area.
  const std::string other = AcceptedYouth();
  auto item = Req<v1::AddAgendaItemRequest>();
  item.set_meeting_id(meeting);
  item.set_youth_id(other);
  w_.Do(item, chief_);
  auto about = Req<v1::RecordDecisionRequest>();
  about.set_meeting_id(meeting);
  about.set_youth_id(other);
  about.set_text("Agreed at the task force");
  plan.set_decision_id(w_.Do(about, chief_).id);
  refused(plan, kRule, absl::StrCat(" is about ", other, ", not about ", youth));
  // A recommendation about the youth (the task force may record one) is no decision.
  about.set_request_id("recommend");
  about.set_youth_id(youth);
  about.set_kind(v1::DECISION_KIND_RECOMMENDATION);
  plan.set_decision_id(w_.Do(about, chief_).id);
  refused(plan, kRule, " is a recommendation, not a decision");
  // Information at the hotspot board, which has no power to decide.
  const std::string board_meeting = HeldMeetingOf(v1::BODY_KIND_HOTSPOT_BOARD);  // body-1
  w_.Do(Topic(board_meeting, "Evenings at the square"), chief_);
  auto informed = Req<v1::RecordDecisionRequest>();
  informed.set_meeting_id(board_meeting);
  informed.set_topic("Evenings at the square");
  informed.set_kind(v1::DECISION_KIND_INFORMATION);
  informed.set_text("The club keeps open in July");
  plan.set_meeting_id(board_meeting);
  plan.set_decision_id(w_.Do(informed, chief_).id);
  refused(plan, kRule, " is of a hotspot board (body-1), which has no power to decide");
  // At a task-force meeting the hotspot secretariat's people attended alone (review 13b, N8).
  auto schedule = Req<v1::ScheduleMeetingRequest>();
  schedule.set_area_id("area-test");
  schedule.set_body_id("task-force");
  schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  const std::string alone = w_.Do(schedule, chief_).id;
  auto held = Req<v1::RecordAttendanceRequest>();
  held.set_meeting_id(alone);
  held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  held.add_attendance()->set_agency_id("agency-hotspot");
  held.mutable_attendance(0)->set_person("staff-bo");
  w_.Do(held, chief_);
  item.set_request_id("alone-item");
  item.set_meeting_id(alone);
  item.set_youth_id(youth);
  w_.Do(item, chief_);
  about.set_request_id("alone-decision");
  about.set_meeting_id(alone);
  about.set_kind(v1::DECISION_KIND_DECISION);
  plan.set_meeting_id(alone);
  plan.set_decision_id(w_.Do(about, chief_).id);
  refused(plan, kRule,
          absl::StrCat(" was recorded at ", alone, ", which nobody attended for an agency (the "
                       "hotspot secretariat's people alone, or people their agency did not "
                       "name): an action plan is decided with the agencies"));
  // At a meeting not held: only in events of before (a decision needs a held meeting now).
  v1::Event scheduled;
  scheduled.set_area_id("area-test");
  scheduled.mutable_meeting_scheduled()->set_meeting_id("meeting-of-before");
  scheduled.mutable_meeting_scheduled()->set_body_id("task-force");
  w_.AppendOfBefore("meeting-of-before", scheduled);
  v1::Event decided;
  decided.set_area_id("area-test");
  decided.mutable_decision_recorded()->set_meeting_id("meeting-of-before");
  decided.mutable_decision_recorded()->set_decision_id("decision-of-before");
  decided.mutable_decision_recorded()->set_youth_id(youth);
  w_.AppendOfBefore("meeting-of-before", decided);
  plan.set_meeting_id("meeting-of-before");
  plan.set_decision_id("decision-of-before");
  refused(plan, kRule,
          "decision_id: decision-of-before was recorded at meeting-of-before, which "
          "is not recorded as held");
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_ACCEPTED);  // nothing written

  // Its decision: the plan names it.
  const Decision adopted = w_.Do(Cite(plan), chief_);
  const v1::ActionPlanAdopted& made = adopted.writes[0].events[0].action_plan_adopted();
  EXPECT_EQ(made.meeting_id(), plan.meeting_id());
  EXPECT_EQ(made.decision_id(), plan.decision_id());
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_ACTIVE);
  // Cited once: not again for the closure.
  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
  close.set_meeting_id(plan.meeting_id());
  close.set_decision_id(plan.decision_id());
  refused(close, kRule, " is cited by a change of ");
  // A decision that carried its own plan change is cited by it.
  auto revise = Req<v1::RecordDecisionRequest>();
  revise.set_meeting_id(meeting);
  revise.set_youth_id(youth);
  revise.set_text("Plan revised: the club joins");
  revise.mutable_plan()->add_goals("Takes part in a club activity every week");
  *revise.mutable_plan()->mutable_review_date() = Day(2027, 3, 1);
  const Decision revised = w_.Do(revise, chief_);
  ASSERT_FALSE(w_.stream(youth).empty());
  EXPECT_EQ(w_.stream(youth).back().action_plan_revised().decision_id(), revised.id);
  close.set_meeting_id(meeting);
  close.set_decision_id(revised.id);
  refused(close, kRule, " is cited by a change of ");
  // Its own decision: the closure names it.
  const Decision closed = w_.Do(Cite(close), chief_);
  const v1::CaseClosed& ended = closed.writes[0].events[0].case_closed();
  EXPECT_EQ(ended.meeting_id(), close.meeting_id());
  EXPECT_EQ(ended.decision_id(), close.decision_id());
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_CLOSED);

  // A closure of before, without a decision, replays as it was; the case reopens.
  const std::string of_before = AcceptedYouth();
  v1::Event closed_before;
  closed_before.set_area_id("area-test");
  closed_before.mutable_case_closed()->set_youth_id(of_before);
  closed_before.mutable_case_closed()->set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
  w_.AppendOfBefore(of_before, closed_before);
  EXPECT_EQ(Status(of_before), v1::CASE_STATUS_CLOSED);
  auto reopen = Req<v1::ReopenCaseRequest>();
  reopen.set_youth_id(of_before);
  reopen.set_reason("Moved back");
  w_.Do(reopen, chief_);
  EXPECT_EQ(Status(of_before), v1::CASE_STATUS_ACCEPTED);
}

TEST_F(DecideTest, APinnedVersionThatMovedIsAborted) {
  const std::string youth = Refer();
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(youth);
  screen.set_accept(true);
  screen.set_expected_version(2);
  EXPECT_EQ(Code(w_.Run(screen, chief_)), absl::StatusCode::kAborted);
  screen.set_expected_version(1);
  const Decision d = w_.Do(screen, chief_);
  EXPECT_EQ(d.writes[0].expected_version, 1u);
}

// The tenth review's blocker: a pin compared before the other rules was an oracle. Its ABORTED
// is told only when the command would otherwise succeed, and on a youth's case only to a caller
// who sees every change of it; anyone else's pin is ignored.
TEST_F(DecideTest, APinIsToldOnlyAfterEverythingElseHeldAndOnlyToWhoSeesEveryChange) {
  const std::string youth = AcceptedYouth();
  const uint64_t version = w_.stream(youth).size();
  const Principal police = Who("officer-sara", "agency-police", Role::kAgencyMember);
  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-police");
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  share.add_concerns(v1::CONCERN_CATEGORY_CHARGES);
  share.set_text("Seen at the station");
  share.set_necessity("The school keeps him in class");
  share.add_recipient_agency_ids("agency-nowhere");  // a rule checked after the policy
  // The police (admitted, not seeing every change): the same answer, whatever the pin.
  const absl::Status unpinned = w_.Run(share, police).status();
  ASSERT_EQ(unpinned.code(), absl::StatusCode::kNotFound) << unpinned;
  for (const uint64_t pin : {version, version + 3, uint64_t{1}}) {
    share.set_expected_version(pin);
    EXPECT_EQ(w_.Run(share, police).status(), unpinned) << pin;
  }
  // A share that holds, pinned at a version the case is not at: decided against the case as it
  // is; the append still expects the real version, and a conflict is not told as the pin's.
  share.set_recipient_agency_ids(0, "agency-school");
  share.set_expected_version(version + 3);
  const Decision shared = w_.Do(share, police);
  EXPECT_EQ(shared.writes.at(0).stream, youth);
  EXPECT_EQ(shared.writes.at(0).expected_version, version);
  EXPECT_FALSE(shared.pin_held);

  // The caseworker sees every change: a broken rule is told before the pin, the pin only then.
  const uint64_t now_at = w_.stream(youth).size();
  auto assess = Req<v1::AssessNotificationRequest>();
  assess.set_youth_id(youth);
  assess.set_notification_id("notification-00000000-0000-0000-0000-000000000001");
  assess.set_assessment("A talk with the family");
  assess.set_expected_version(1);
  const absl::StatusOr<Decision> no_notification = w_.Run(assess, caseworker_);
  EXPECT_EQ(Code(no_notification), absl::StatusCode::kNotFound) << no_notification.status();
  assess.set_expected_version(now_at);
  EXPECT_EQ(w_.Run(assess, caseworker_).status(), no_notification.status());
  auto decision = Req<v1::RecordSocialDecisionRequest>();
  decision.set_youth_id(youth);
  decision.set_decision("Family support under barnets lov § 32");
  decision.set_expected_version(1);
  const absl::StatusOr<Decision> stale = w_.Run(decision, caseworker_);
  EXPECT_EQ(Code(stale), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.status().message(), HasSubstr(absl::StrCat("is at version ", now_at)));
  decision.set_expected_version(now_at);
  EXPECT_TRUE(w_.Do(decision, caseworker_).pin_held);
}

// Outside the youth's area, every failure of a command on the case is the same refusal, whether
// the youth has a case or not and whatever rule the command would break.
TEST_F(DecideTest, OutsideTheAreaAYouthWithNoCaseIsRefusedAsAnotherAreasYouth) {
  RegisterInAnotherArea("agency-police-other", v1::AGENCY_KIND_POLICE);
  Principal other = Who("officer-other", "agency-police-other", Role::kAgencyMember);
  other.areas = {"area-other"};
  Principal other_chief = Who("chief-other", "agency-hotspot", Role::kCoordinator);
  other_chief.areas = {"area-other"};
  const std::string youth = AcceptedYouth();
  const std::string nobody = "youth-00000000-0000-0000-0000-000000000001";
  const uint64_t version = w_.stream(youth).size();
  for (const Principal* who : {&other, &other_chief}) {
    for (const std::optional<uint64_t> pin :
         {std::optional<uint64_t>(), std::optional<uint64_t>(version),
          std::optional<uint64_t>(version + 1)}) {
      for (const std::string& id : {youth, nobody}) {
        auto outcome = Req<v1::RecordOutreachOutcomeRequest>();
        outcome.set_youth_id(id);
        outcome.set_outreach_id("outreach-00000000-0000-0000-0000-000000000001");
        outcome.set_outcome("Met him at the club");
        auto erasure = Req<v1::RequestErasureRequest>();
        erasure.set_youth_id(id);
        erasure.set_requested_by("His mother");
        erasure.set_reason("Withdrawn");
        erasure.set_ground(v1::ERASURE_GROUND_CONSENT_WITHDRAWN);
        if (pin.has_value()) {
          outcome.set_expected_version(*pin);
          erasure.set_expected_version(*pin);
        }
        const absl::Status refusal = absl::PermissionDeniedError(
            absl::StrCat("youth_id: ", who->person, " has no access to ", id));
        EXPECT_EQ(w_.Run(outcome, *who).status(), refusal) << who->person << " " << id;
        EXPECT_EQ(w_.Run(erasure, *who).status(), refusal) << who->person << " " << id;
      }
    }
  }
}

TEST_F(DecideTest, HandOverToAdultServices) {
  // 16 (born 2010-01-01, today 2026-11-23): too young; adult services take over from 17.
  const std::string young = AcceptedYouth();
  auto handover = Req<v1::HandOverToAdultServicesRequest>();
  handover.set_youth_id(young);
  handover.set_receiving_agency_id("agency-social");
  handover.set_note("Turns 18 in June");
  Cite(handover);
  absl::StatusOr<Decision> d = w_.Run(handover, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(), absl::StrCat(young, " is 16; adult services take over from 17"));

  // 17, with an open commitment: as at closing, it is fulfilled or cancelled first.
  auto older = Referral();
  older.set_birth_date("2009-06-01");
  older.set_cpr_number("010609-4234");
  const std::string youth = w_.Do(older, school_member_).id;
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(youth);
  screen.set_accept(true);
  w_.Do(screen, chief_);
  const std::string commitment = Commitment(youth);
  handover.set_youth_id(youth);
  handover.set_request_id("handover-17");
  Cite(handover);
  d = w_.Run(handover, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(commitment));
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  w_.Do(fulfil, school_member_);
  // The receiving agency belongs to the youth's area.
  RegisterInAnotherArea("agency-adults-other", v1::AGENCY_KIND_SOCIAL_ADMINISTRATION);
  handover.set_receiving_agency_id("agency-adults-other");
  d = w_.Run(handover, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("receiving_agency_id: agency-adults-other is not an agency of area-test"));
  handover.set_receiving_agency_id("agency-social");
  const Decision handed = w_.Do(handover, chief_);
  const v1::HandedOverToAdultServices& event =
      handed.writes[0].events[0].handed_over_to_adult_services();
  EXPECT_EQ(event.receiving_agency_id(), "agency-social");
  EXPECT_EQ(World::Unseal(event.note()), "Turns 18 in June");
  EXPECT_EQ(event.handed_over_on().year(), 2026);
  EXPECT_EQ(event.meeting_id(), handover.meeting_id());  // the decision it stands on
  EXPECT_EQ(event.decision_id(), handover.decision_id());
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_HANDED_OVER);
  handover.set_request_id("again");
  Cite(handover);
  EXPECT_EQ(Code(w_.Run(handover, chief_)), absl::StatusCode::kFailedPrecondition);

  // An unknown age: the birth date is recorded first.
  auto unknown = Referral();
  unknown.clear_birth_date();
  unknown.clear_cpr_number();
  const std::string nameless = w_.Do(unknown, school_member_).id;
  screen.set_youth_id(nameless);
  screen.set_request_id("screen-unknown-age");
  w_.Do(screen, chief_);
  handover.set_youth_id(nameless);
  handover.set_request_id("handover-unknown-age");
  Cite(handover);
  d = w_.Run(handover, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("age is not known"));
}

// An outreach task has an id and a due date; its agency records the outcome, once, and the
// chief does not. A youth referred without an identity is identified once it is known.
TEST_F(DecideTest, OutreachHasAnOutcomeAndAnUnknownYouthIsIdentified) {
  auto anonymous = Referral();
  anonymous.set_identity_known(false);
  anonymous.clear_name();
  anonymous.clear_cpr_number();
  anonymous.clear_birth_date();
  anonymous.clear_address();
  const std::string youth = w_.Do(anonymous, school_member_).id;
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(youth);
  screen.set_accept(true);
  w_.Do(screen, chief_);

  auto assign = Req<v1::AssignOutreachRequest>();
  assign.set_youth_id(youth);
  assign.set_agency_id("agency-school");
  assign.set_person("teacher-ole");
  assign.set_task("Find out who the boy by the kiosk is");
  assign.mutable_due_on()->set_year(2026);
  assign.mutable_due_on()->set_month(12);
  assign.mutable_due_on()->set_day(7);
  const Decision assigned = w_.Do(assign, chief_);
  ASSERT_EQ(assigned.created_ids.size(), 1u);
  const std::string task = assigned.created_ids[0];
  EXPECT_TRUE(absl::StartsWith(task, "outreach-")) << task;
  const v1::OutreachAssigned& event = assigned.writes[0].events[0].outreach_assigned();
  EXPECT_EQ(event.outreach_id(), task);
  EXPECT_EQ(event.due_on().day(), 7);
  EXPECT_EQ(World::Unseal(event.task()), "Find out who the boy by the kiosk is");

  // Not identified: there is nothing on record to correct (IdentifyYouth's checks apply).
  auto rectify = Req<v1::RectifyPersonalDataRequest>();
  rectify.set_youth_id(youth);
  rectify.set_field(v1::PERSONAL_DATA_FIELD_NAME);
  rectify.set_value("Karim Berg");
  rectify.set_reason("Known now");
  absl::StatusOr<Decision> unidentified = w_.Run(rectify, chief_);
  EXPECT_EQ(Code(unidentified), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(unidentified.status().message()), HasSubstr("IdentifyYouth"));

  // The school identifies him (it does the outreach); the police, which does not, may not.
  auto identify = Req<v1::IdentifyYouthRequest>();
  identify.set_youth_id(youth);
  identify.set_name("Karim Berg");
  identify.set_birth_date("2010-05-04");
  identify.set_cpr_number("040510-1235");  // born 1910 by its century digit
  absl::StatusOr<Decision> d = w_.Run(identify, school_member_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("cpr_number"));
  identify.set_cpr_number("040510-4235");
  EXPECT_EQ(Code(w_.Run(identify, police_leader_)), absl::StatusCode::kPermissionDenied);
  identify.set_birth_date("2010-13-04");
  d = w_.Run(identify, school_member_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("birth_date"));
  identify.set_birth_date("2010-05-04");
  const Decision identified = w_.Do(identify, school_member_);
  const v1::YouthIdentified& who = identified.writes[0].events[0].youth_identified();
  EXPECT_EQ(World::Unseal(who.name()), "Karim Berg");
  EXPECT_EQ(who.name().key_id(), youth);
  EXPECT_TRUE(absl::StartsWith(who.name().ciphertext(), "name:"));
  EXPECT_TRUE(absl::StartsWith(who.birth_date().ciphertext(), "birth_date:"));
  EXPECT_TRUE(who.address().ciphertext().empty());
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "Karim"));
  // Known now: a second identification is a correction.
  identify.set_request_id("identify-again");
  d = w_.Run(identify, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("RectifyPersonalData"));
  // Its birth date counts for the rules: 16, so he gives consent himself.
  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("club");
  consent.set_given_by("Karim");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.add_agency_ids("agency-school");
  consent.set_purpose("evenings");
  consent.add_categories(v1::CONCERN_CATEGORY_TIME_ON_THE_STREET);
  EXPECT_EQ(w_.Do(consent, caseworker_).writes[0].events[0].consent_recorded().giver_age(), 16);

  // The outcome: by the school, not by the chief, once.
  auto outcome = Req<v1::RecordOutreachOutcomeRequest>();
  outcome.set_youth_id(youth);
  outcome.set_outreach_id(task);
  outcome.set_outcome("Known now: Karim, comes to the club on Fridays");
  d = w_.Run(outcome, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  outcome.set_outreach_id("outreach-none");
  d = w_.Run(outcome, school_member_);
  EXPECT_EQ(Code(d), absl::StatusCode::kNotFound);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("outreach_id: ", youth, " has no outreach task outreach-none"));
  outcome.set_outreach_id(task);
  const Decision done = w_.Do(outcome, school_member_);
  const v1::OutreachOutcomeRecorded& recorded =
      done.writes[0].events[0].outreach_outcome_recorded();
  EXPECT_EQ(recorded.outreach_id(), task);
  EXPECT_EQ(World::Unseal(recorded.outcome()), "Known now: Karim, comes to the club on Fridays");
  outcome.set_request_id("outcome-again");
  d = w_.Run(outcome, school_member_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("has its outcome already"));
}

// The deadline process's facts about a case, each by the system alone and once: a review date
// passed, an 18th birthday near, and a consent given before 18 that lapses at 18.
TEST_F(DecideTest, TheSystemMarksAReviewDateAnEighteenthBirthdayAndLapsesConsentsOnce) {
  const std::string youth = AcceptedYouth();  // born 2010-01-01: 18 on 2028-01-01
  auto plan = Req<v1::AdoptActionPlanRequest>();
  plan.set_youth_id(youth);
  plan.add_goals("Back in school full time");
  *plan.mutable_review_date() = Day(2027, 2, 1);
  w_.Do(Cite(plan), chief_);
  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("school and club");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.set_purpose("support at school");
  consent.add_agency_ids("agency-school");
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  const Decision given = w_.Do(consent, caseworker_);
  const std::string consent_id = given.writes[0].events[0].consent_recorded().consent_id();
  ASSERT_FALSE(consent_id.empty());
  const absl::Time given_at = w_.now_;

  auto review = Req<v1::MarkReviewDatePassedCommand>();
  review.set_youth_id(youth);
  *review.mutable_review_date() = Day(2027, 2, 1);
  EXPECT_EQ(Code(w_.Run(review, system_)), absl::StatusCode::kFailedPrecondition);  // not yet
  w_.now_ = At(2027, 2, 2, 9);
  EXPECT_EQ(Code(w_.Run(review, chief_)), absl::StatusCode::kPermissionDenied);
  const Decision passed = w_.Do(review, system_);
  EXPECT_EQ(FormatDate(passed.writes[0].events[0].review_date_passed().review_date()),
            "2027-02-01");
  EXPECT_EQ(passed.occurred_at, At(2027, 2, 2));
  review.set_request_id("review-again");
  EXPECT_EQ(Code(w_.Run(review, system_)), absl::StatusCode::kFailedPrecondition);

  auto near = Req<v1::MarkEighteenthBirthdayNearCommand>();
  near.set_youth_id(youth);
  EXPECT_EQ(Code(w_.Run(near, system_)), absl::StatusCode::kFailedPrecondition);  // 11 months
  w_.now_ = At(2027, 11, 1, 9);
  EXPECT_EQ(Code(w_.Run(near, caseworker_)), absl::StatusCode::kPermissionDenied);
  const Decision soon = w_.Do(near, system_);
  EXPECT_EQ(soon.writes[0].events[0].eighteenth_birthday_near().youth_id(), youth);
  EXPECT_EQ(soon.occurred_at, At(2028, 1, 1) - absl::Hours(24 * 90));
  near.set_request_id("near-again");
  EXPECT_EQ(Code(w_.Run(near, system_)), absl::StatusCode::kFailedPrecondition);

  auto lapse = Req<v1::LapseConsentCommand>();
  lapse.set_youth_id(youth);
  lapse.set_consent_key(consent_id);
  lapse.mutable_given_at()->set_seconds(absl::ToUnixSeconds(given_at));
  EXPECT_EQ(Code(w_.Run(lapse, system_)), absl::StatusCode::kFailedPrecondition);  // 17
  w_.now_ = At(2028, 1, 2, 9);
  EXPECT_EQ(Code(w_.Run(lapse, auditor_)), absl::StatusCode::kPermissionDenied);
  const Decision lapsed = w_.Do(lapse, system_);
  EXPECT_EQ(lapsed.writes[0].events[0].consent_lapsed().consent_id(), consent_id);
  EXPECT_TRUE(lapsed.writes[0].events[0].consent_lapsed().scope().empty());
  EXPECT_EQ(lapsed.occurred_at, At(2028, 1, 1));
  lapse.set_request_id("lapse-again");
  EXPECT_EQ(Code(w_.Run(lapse, system_)), absl::StatusCode::kFailedPrecondition);
  // Given again at 18, it stands.
  consent.set_request_id("consent-at-18");
  w_.Do(consent, caseworker_);
  lapse.set_request_id("lapse-at-18");
  lapse.mutable_given_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  EXPECT_EQ(Code(w_.Run(lapse, system_)), absl::StatusCode::kFailedPrecondition);
}

// Barnets lov's and the GDPR's deadlines, each marked by the system alone, once, also when the
// process of before marked it under its own ids; done in time, nothing is marked.
TEST_F(DecideTest, TheSystemMarksChildWelfareAndSubjectAccessDeadlinesOnce) {
  const std::string youth = Refer();  // Monday 2026-11-23, 10:00
  auto notify = Req<v1::NotifyChildWelfareRequest>();
  notify.set_youth_id(youth);
  notify.set_agency_id("agency-school");
  notify.set_text("Sleeps at friends' most nights");
  const std::string notification = w_.Do(notify, school_member_).id;
  auto open = Req<v1::OpenChildWelfareInvestigationRequest>();
  open.set_youth_id(youth);
  open.set_notification_id(notification);
  const std::string investigation = w_.Do(open, caseworker_).id;  // due 2027-03-23
  auto access = Req<v1::RecordSubjectAccessRequestRequest>();
  access.set_youth_id(youth);
  access.set_requester(v1::CONSENT_GIVER_CUSTODY_HOLDER);
  access.set_requested_by("the father");
  const std::string request = w_.Do(access, caseworker_).id;  // due 2026-12-23

  auto assessment = Req<v1::MarkNotificationAssessmentOverdueCommand>();
  assessment.set_youth_id(youth);
  assessment.set_notification_id(notification);
  EXPECT_EQ(Code(w_.Run(assessment, system_)), absl::StatusCode::kFailedPrecondition);  // 24 h
  const absl::Time notified = w_.now_;
  w_.now_ = notified + absl::Hours(25);
  EXPECT_EQ(Code(w_.Run(assessment, caseworker_)), absl::StatusCode::kPermissionDenied);
  const Decision late = w_.Do(assessment, system_);
  EXPECT_EQ(late.writes[0].events[0].notification_assessment_overdue().notification_id(),
            notification);
  EXPECT_EQ(late.occurred_at, notified + absl::Hours(24));
  assessment.set_request_id("assessment-again");
  EXPECT_EQ(Code(w_.Run(assessment, system_)), absl::StatusCode::kFailedPrecondition);

  // The receipt: confirmed in time, there is nothing to mark.
  auto confirm = Req<v1::ConfirmNotificationReceiptRequest>();
  confirm.set_youth_id(youth);
  confirm.set_notification_id(notification);
  w_.Do(confirm, caseworker_);
  w_.now_ = At(2026, 12, 3);
  auto receipt = Req<v1::MarkNotificationReceiptOverdueCommand>();
  receipt.set_youth_id(youth);
  receipt.set_notification_id(notification);
  EXPECT_EQ(Code(w_.Run(receipt, system_)), absl::StatusCode::kFailedPrecondition);

  // The subject access request: marked by the process of before already.
  auto overdue = Req<v1::MarkSubjectAccessOverdueCommand>();
  overdue.set_youth_id(youth);
  overdue.set_subject_access_id(request);
  EXPECT_EQ(Code(w_.Run(overdue, system_)), absl::StatusCode::kFailedPrecondition);  // not yet
  w_.now_ = At(2026, 12, 24, 8);
  v1::Event before;
  before.mutable_subject_access_overdue()->set_subject_access_id(request);
  before.mutable_subject_access_overdue()->set_youth_id(youth);
  w_.AppendOfBefore(youth, before);
  EXPECT_EQ(Code(w_.Run(overdue, system_)), absl::StatusCode::kFailedPrecondition);

  auto investigation_late = Req<v1::MarkInvestigationOverdueCommand>();
  investigation_late.set_youth_id(youth);
  investigation_late.set_investigation_id(investigation);
  EXPECT_EQ(Code(w_.Run(investigation_late, system_)), absl::StatusCode::kFailedPrecondition);
  w_.now_ = At(2027, 3, 24, 8);
  EXPECT_EQ(Code(w_.Run(investigation_late, chief_)), absl::StatusCode::kPermissionDenied);
  const Decision missed = w_.Do(investigation_late, system_);
  const v1::ChildWelfareInvestigationOverdue& e =
      missed.writes[0].events[0].child_welfare_investigation_overdue();
  EXPECT_EQ(e.investigation_id(), investigation);
  EXPECT_EQ(FormatDate(e.due_on()), "2027-03-23");
  EXPECT_EQ(missed.occurred_at, At(2027, 3, 24));
  investigation_late.set_request_id("investigation-again");
  EXPECT_EQ(Code(w_.Run(investigation_late, system_)), absl::StatusCode::kFailedPrecondition);
  investigation_late.set_investigation_id("investigation-none");
  EXPECT_EQ(Code(w_.Run(investigation_late, system_)), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hotspot::domain
