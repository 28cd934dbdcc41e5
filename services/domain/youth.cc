// The youth's case: referral, screening, outreach, shared concerns, consent, the action plan,
// social decisions, the child-welfare frame of barnets lov, rectification, the data subject's
// access, hand-over, closure and reopening.
#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/domain/checks.h"
#include "services/domain/decide.h"
#include "services/domain/rules.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::domain {
namespace {

// Seals the identifying data that `request` gives (name, CPR number, birth date, address; each
// only if given) into `event`'s fields of the same names, under `youth_id`. A CPR number given
// without a birth date gives the birth date it tells, so that the youth's 18th birthday (consents
// lapsing, the hand-over's age) is known.
template <typename Request, typename Event>
absl::Status SealIdentity(Session& s, const std::string& youth_id, const Request& request,
                          Event* event) {
  const std::string birth_date =
      request.birth_date().empty() ? BirthDateOfCpr(request.cpr_number()) : request.birth_date();
  const std::tuple<const char*, const std::string*, v1::SealedText*> fields[] = {
      {"name", &request.name(), event->mutable_name()},
      {"cpr_number", &request.cpr_number(), event->mutable_cpr_number()},
      {"birth_date", &birth_date, event->mutable_birth_date()},
      {"address", &request.address(), event->mutable_address()},
  };
  for (const auto& [field, text, sealed] : fields) {
    if (text->empty()) continue;
    ASSIGN_OR_RETURN(*sealed, s.Seal(youth_id, field, *text));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::ReferYouthRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckId("referring_agency_id", r.referring_agency_id(), "agency"));
  RETURN_IF_ERROR(CheckPerson("referred_by", r.referred_by()));
  RETURN_IF_ERROR(CheckConcerns("concerns", r.concerns(), 1));
  RETURN_IF_ERROR(CheckText("description", r.description(), kMaxTextBytes));
  RETURN_IF_ERROR(CheckEnum("urgency", r.urgency(), v1::Urgency_IsValid));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes, r.identity_known()));
  RETURN_IF_ERROR(CheckCpr("cpr_number", r.cpr_number()));
  RETURN_IF_ERROR(CheckBirthDate("birth_date", r.birth_date()));
  RETURN_IF_ERROR(CheckCprMatchesBirthDate("cpr_number", r.cpr_number(), r.birth_date()));
  RETURN_IF_ERROR(CheckText("address", r.address(), 500, false));
  RETURN_IF_ERROR(RequireCoordinatorOrOwnAgency(c.principal, r.area_id(), r.referring_agency_id(),
                                                "refer a youth for this agency"));
  RETURN_IF_ERROR(s.Load<AreaState>("area_id", r.area_id()).status());
  RETURN_IF_ERROR(
      LoadAgencyInArea(s, "referring_agency_id", r.referring_agency_id(), r.area_id()).status());
  ASSIGN_OR_RETURN(const std::string id, c.sealer->NewSubject("youth"));
  v1::Event e;
  auto* x = e.mutable_youth_referred();
  x->set_youth_id(id);
  x->set_referring_agency_id(r.referring_agency_id());
  x->set_referred_by(r.referred_by());
  // Special-category and criminal-offence data (GDPR Art. 9, 10): sealed like the free texts.
  ASSIGN_OR_RETURN(*x->mutable_concerns_sealed(), SealConcerns(s, id, r.concerns()));
  x->set_concern_count(r.concerns_size());
  ASSIGN_OR_RETURN(*x->mutable_description(), s.Seal(id, "description", r.description()));
  x->set_urgency(r.urgency());
  x->set_identity_known(r.identity_known());
  x->mutable_referred_at()->set_seconds(absl::ToUnixSeconds(c.now));
  RETURN_IF_ERROR(SealIdentity(s, id, r, x));
  s.Emit(id, r.area_id(), std::move(e));
  return s.Finish(id);
}

namespace {

// Loads the main youth of a case command, checking the caller is a coordinator of its area.
absl::StatusOr<YouthState> LoadCaseForCoordinator(Session& s, const std::string& youth_id,
                                                  absl::string_view what) {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth"));
  ASSIGN_OR_RETURN(YouthState youth, s.LoadMain<YouthState>("youth_id", youth_id));
  RETURN_IF_ERROR(RequireCoordinator(s.principal(), youth.area_id, what));
  return youth;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::ScreenReferralRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, !r.accept()));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "screen referrals"));
  RETURN_IF_ERROR(Rule(youth.status == v1::CASE_STATUS_REFERRED,
                       absl::StrCat("the referral of ", r.youth_id(), " is screened already")));
  v1::Event e;
  if (r.accept()) {
    e.mutable_referral_accepted()->set_youth_id(r.youth_id());
    if (!r.reason().empty()) {
      ASSIGN_OR_RETURN(*e.mutable_referral_accepted()->mutable_note(),
                       s.Seal(r.youth_id(), "screening_note", r.reason()));
    }
  } else {
    e.mutable_referral_declined()->set_youth_id(r.youth_id());
    *e.mutable_referral_declined()->mutable_declined_on() =
        DateOf(absl::ToCivilDay(c.now, absl::UTCTimeZone()));
    ASSIGN_OR_RETURN(*e.mutable_referral_declined()->mutable_reason(),
                     s.Seal(r.youth_id(), "screening_note", r.reason()));
  }
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::AssignOutreachRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckPerson("person", r.person()));
  RETURN_IF_ERROR(CheckText("task", r.task(), kMaxTextBytes));
  if (r.has_due_on()) RETURN_IF_ERROR(CheckDate("due_on", r.due_on()));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "assign outreach"));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "it takes no outreach task"));
  ASSIGN_OR_RETURN(const AgencyState agency,
                   LoadAgencyInArea(s, "agency_id", r.agency_id(), youth.area_id));
  RETURN_IF_ERROR(MayTakeOnCasework(youth, agency, r.agency_id(), "agency_id"));
  const std::string id = NewId("outreach");
  v1::Event e;
  auto* x = e.mutable_outreach_assigned();
  x->set_youth_id(r.youth_id());
  x->set_agency_id(r.agency_id());
  x->set_person(r.person());
  ASSIGN_OR_RETURN(*x->mutable_task(), s.Seal(r.youth_id(), "outreach_task", r.task()));
  x->set_outreach_id(id);
  if (r.has_due_on()) *x->mutable_due_on() = r.due_on();
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id(), {id});
}

// The agency doing the task records what came of it, once; the chief does not act for it.
absl::StatusOr<Decision> Decide(const v1::RecordOutreachOutcomeRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("outreach_id", r.outreach_id(), "outreach"));
  RETURN_IF_ERROR(CheckText("outcome", r.outcome(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  // The area first: whether the case has the task is for those who may act in its area.
  RETURN_IF_ERROR(security::MayActInArea(c.principal, youth.area_id));
  const auto task = youth.outreach.find(r.outreach_id());
  if (task == youth.outreach.end() || task->second.agency_id.empty()) {
    return absl::NotFoundError(
        absl::StrCat("outreach_id: ", r.youth_id(), " has no outreach task ", r.outreach_id()));
  }
  RETURN_IF_ERROR(security::MayActAsAgency(c.principal, youth.area_id, task->second.agency_id,
                                           "record the outcome of this outreach task"));
  RETURN_IF_ERROR(Rule(!task->second.outcome,
                       absl::StrCat("outreach_id: ", r.outreach_id(), " has its outcome already")));
  v1::Event e;
  auto* x = e.mutable_outreach_outcome_recorded();
  x->set_youth_id(r.youth_id());
  x->set_outreach_id(r.outreach_id());
  ASSIGN_OR_RETURN(*x->mutable_outcome(), s.Seal(r.youth_id(), "outreach_outcome", r.outcome()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

// A youth referred without an identity is identified once it is known: by the area's
// coordinators, or by an agency doing outreach with the youth.
absl::StatusOr<Decision> Decide(const v1::IdentifyYouthRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckCpr("cpr_number", r.cpr_number()));
  RETURN_IF_ERROR(CheckBirthDate("birth_date", r.birth_date()));
  RETURN_IF_ERROR(CheckCprMatchesBirthDate("cpr_number", r.cpr_number(), r.birth_date()));
  RETURN_IF_ERROR(CheckText("address", r.address(), 500, false));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  const absl::Status coordinator =
      RequireCoordinator(c.principal, youth.area_id, "identify a youth");
  const bool does_outreach =
      std::any_of(youth.outreach.begin(), youth.outreach.end(), [&](const auto& task) {
        return security::MayActAsAgency(c.principal, youth.area_id, task.second.agency_id,
                                        "identify a youth")
            .ok();
      });
  if (!does_outreach) RETURN_IF_ERROR(coordinator);
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "it is not identified"));
  RETURN_IF_ERROR(Rule(
      !youth.identity_known,
      absl::StrCat(r.youth_id(), " is identified already: correct it with RectifyPersonalData")));
  v1::Event e;
  auto* x = e.mutable_youth_identified();
  x->set_youth_id(r.youth_id());
  // Sealed as the referral's fields, so that they read (and are erased) the same way.
  RETURN_IF_ERROR(SealIdentity(s, r.youth_id(), r, x));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

namespace {

// The name of the consent of `key` as recorded; nullopt if it was erased.
absl::StatusOr<std::optional<std::string>> ConsentName(Session& s, const std::string& key,
                                                       const YouthState::Consent& consent) {
  if (!consent.has_id) return key;  // a consent of before: its scope names it
  return s.Open(consent.scope);
}

// The key of the consent on record that is named `name` (in force or not); nullopt if none.
absl::StatusOr<std::optional<std::string>> FindConsent(Session& s, const YouthState& youth,
                                                       absl::string_view name) {
  for (const auto& [key, consent] : youth.consents) {
    ASSIGN_OR_RETURN(const std::optional<std::string> recorded, ConsentName(s, key, consent));
    if (recorded.has_value() && *recorded == name) return key;
  }
  return std::nullopt;
}

// The key of the consent in force that a request names by its name (`name_field`) or its id
// (`id_field`), at most one of them (exactly one, if `required`); "" if neither and not
// required. FAILED_PRECONDITION if no such consent is in force.
absl::StatusOr<std::string> ConsentNamed(Session& s, const YouthState& youth,
                                         absl::string_view youth_id, absl::string_view name_field,
                                         absl::string_view name, absl::string_view id_field,
                                         absl::string_view id, bool required) {
  if (!name.empty() && !id.empty()) {
    return Invalid(id_field, absl::StrCat("name the consent by ", name_field, " or by ", id_field,
                                          ", not both"));
  }
  if (name.empty() && id.empty()) {
    if (!required) return std::string();
    return Invalid(name_field, absl::StrCat("required (or ", id_field, ")"));
  }
  std::optional<std::string> key;
  if (!id.empty()) {
    const auto it = youth.consents.find(std::string(id));
    if (it != youth.consents.end() && it->second.has_id) key = it->first;
  } else {
    ASSIGN_OR_RETURN(key, FindConsent(s, youth, name));
  }
  const bool in_force = key.has_value() && youth.consents.at(*key).in_force;
  RETURN_IF_ERROR(
      Rule(in_force, absl::StrCat(id.empty() ? name_field : id_field, ": no consent \"",
                                  id.empty() ? name : id, "\" is in force for ", youth_id)));
  return *key;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::ShareConcernRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckEnum("legal_basis", r.legal_basis(), v1::LegalBasis_IsValid));
  RETURN_IF_ERROR(CheckText("legal_basis_other", r.legal_basis_other(), kMaxNameBytes,
                            r.legal_basis() == v1::LEGAL_BASIS_OTHER));
  if (r.legal_basis() == v1::LEGAL_BASIS_OTHER) {
    RETURN_IF_ERROR(CheckLegalReference("legal_basis_other", r.legal_basis_other()));
  }
  RETURN_IF_ERROR(CheckConcerns("concerns", r.concerns(), 0));
  RETURN_IF_ERROR(CheckText("text", r.text(), kMaxTextBytes));
  const bool on_consent = r.legal_basis() == v1::LEGAL_BASIS_CONSENT;
  // § 63 d: the police's information about criminal decisions, nothing else.
  if (r.legal_basis() == v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS) {
    RETURN_IF_ERROR(CheckConcerns("concerns", r.concerns(), 1));
    for (int i = 0; i < r.concerns_size(); ++i) {
      if (r.concerns(i) != v1::CONCERN_CATEGORY_CHARGES) {
        return Invalid(absl::StrCat("concerns[", i, "]"),
                       "under Almenboligloven § 63 d only criminal decisions "
                       "(CONCERN_CATEGORY_CHARGES) are shared");
      }
    }
  }
  // Only what is necessary for the crime-prevention purpose, and why: § 115 requires it, and
  // data minimisation (GDPR Art. 5(1)(c)) asks it of a share on consent too.
  RETURN_IF_ERROR(CheckText("necessity", r.necessity(), kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckCount("recipient_agency_ids", r.recipient_agency_ids_size(), 1, kMaxListEntries));
  for (int i = 0; i < r.recipient_agency_ids_size(); ++i) {
    RETURN_IF_ERROR(CheckId(absl::StrCat("recipient_agency_ids[", i, "]"),
                            r.recipient_agency_ids(i), "agency"));
  }
  RETURN_IF_ERROR(CheckText("consent_scope", r.consent_scope(), kMaxNameBytes, false));
  RETURN_IF_ERROR(CheckId("consent_id", r.consent_id(), "consent", /*required=*/false));
  if (!on_consent && !(r.consent_scope().empty() && r.consent_id().empty())) {
    return Invalid(r.consent_id().empty() ? "consent_scope" : "consent_id",
                   "only a share under LEGAL_BASIS_CONSENT names a consent");
  }
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(security::MayActAsAgency(c.principal, youth.area_id, r.agency_id(),
                                           "share information for this agency"));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "nothing more is shared"));
  ASSIGN_OR_RETURN(const AgencyState sharer,
                   LoadAgencyInArea(s, "agency_id", r.agency_id(), youth.area_id));
  RETURN_IF_ERROR(security::MayShareUnder(FactsOf(r.agency_id(), sharer), r.legal_basis()));
  std::set<std::string> recipients;
  for (int i = 0; i < r.recipient_agency_ids_size(); ++i) {
    const std::string& id = r.recipient_agency_ids(i);
    RETURN_IF_ERROR(Rule(id != r.agency_id(),
                         absl::StrCat("recipient_agency_ids[", i, "]: ", id,
                                      " shares it: the sharing agency is not a recipient")));
    ASSIGN_OR_RETURN(
        const AgencyState recipient,
        LoadAgencyInArea(s, absl::StrCat("recipient_agency_ids[", i, "]"), id, youth.area_id));
    RETURN_IF_ERROR(security::MayReceiveUnder(FactsOf(id, recipient), r.legal_basis()));
    recipients.insert(id);
  }
  // On consent: a consent in force that covers the sharing agency and every recipient.
  const YouthState::Consent* consent = nullptr;
  std::string consent_key;
  std::string consent_name;  // for messages: as the request named it, or its name on record
  if (on_consent) {
    auto covers = [&](const YouthState::Consent& c) {
      const std::set<std::string>& agencies = c.agencies;
      if (agencies.empty()) return true;  // an unstructured consent of before: every agency
      if (agencies.count(r.agency_id()) == 0) return false;
      return std::all_of(recipients.begin(), recipients.end(),
                         [&](const std::string& a) { return agencies.count(a) > 0; });
    };
    if (!r.consent_scope().empty() || !r.consent_id().empty()) {
      ASSIGN_OR_RETURN(consent_key,
                       ConsentNamed(s, youth, r.youth_id(), "consent_scope", r.consent_scope(),
                                    "consent_id", r.consent_id(), /*required=*/true));
      consent = &youth.consents.at(consent_key);
      consent_name = r.consent_scope().empty() ? r.consent_id() : r.consent_scope();
      RETURN_IF_ERROR(Rule(covers(*consent), absl::StrCat("consent_scope: the consent \"",
                                                          consent_name, "\" does not cover ",
                                                          r.agency_id(), " and every recipient")));
    } else {
      std::vector<std::string> covering;
      for (const auto& [key, c] : youth.consents) {
        if (c.in_force && covers(c)) covering.push_back(key);
      }
      RETURN_IF_ERROR(Rule(!covering.empty(),
                           absl::StrCat("legal_basis: no consent in force for ", r.youth_id(),
                                        " covers ", r.agency_id(), " and every recipient")));
      if (covering.size() > 1) {
        return Invalid("consent_scope", "several consents cover this share: name one");
      }
      consent_key = covering[0];
      consent = &youth.consents.at(consent_key);
      // The sharer is covered by the consent: it may read its name.
      ASSIGN_OR_RETURN(const std::optional<std::string> name,
                       ConsentName(s, consent_key, *consent));
      consent_name = name.value_or(consent_key);
    }
    // What the consent covers: only its categories, and the share names them.
    if (consent->categories.has_value()) {
      ASSIGN_OR_RETURN(const std::optional<std::string> opened, s.Open(*consent->categories));
      RETURN_IF_ERROR(Rule(opened.has_value(), absl::StrCat("consent_scope: the categories of \"",
                                                            consent_name, "\" are erased")));
      const std::set<std::string> allowed = absl::StrSplit(*opened, ',', absl::SkipEmpty());
      RETURN_IF_ERROR(Rule(r.concerns_size() > 0,
                           absl::StrCat("concerns: a share on the consent \"", consent_name,
                                        "\" names its categories (the consent covers ",
                                        absl::StrJoin(allowed, ", "), ")")));
      for (int i = 0; i < r.concerns_size(); ++i) {
        const std::string name = v1::ConcernCategory_Name(r.concerns(i));
        RETURN_IF_ERROR(
            Rule(allowed.count(name) > 0, absl::StrCat("concerns[", i, "]: the consent \"",
                                                       consent_name, "\" does not cover ", name)));
      }
    }
  }
  v1::Event e;
  auto* x = e.mutable_concern_shared();
  x->set_youth_id(r.youth_id());
  x->set_agency_id(r.agency_id());
  x->set_legal_basis(r.legal_basis());
  x->set_legal_basis_other(r.legal_basis_other());
  // Special-category and criminal-offence data (GDPR Art. 9, 10): sealed like the free texts.
  if (r.concerns_size() > 0) {
    ASSIGN_OR_RETURN(*x->mutable_concerns_sealed(), SealConcerns(s, r.youth_id(), r.concerns()));
  }
  x->set_concern_count(r.concerns_size());
  for (const std::string& id : recipients) x->add_recipient_agency_ids(id);
  if (!r.necessity().empty()) {
    ASSIGN_OR_RETURN(*x->mutable_necessity(), s.Seal(r.youth_id(), "necessity", r.necessity()));
  }
  if (consent != nullptr) {
    (consent->has_id ? x->mutable_consent_id() : x->mutable_consent_scope())->assign(consent_key);
  }
  ASSIGN_OR_RETURN(*x->mutable_text(), s.Seal(r.youth_id(), "concern", r.text()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

namespace {

// Consent is recorded by the chief's office or the social administration's caseworkers.
absl::StatusOr<YouthState> LoadCaseForConsent(Session& s, const std::string& youth_id) {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth"));
  ASSIGN_OR_RETURN(YouthState youth, s.LoadMain<YouthState>("youth_id", youth_id));
  RETURN_IF_ERROR(security::MayRecordConsent(s.principal(), youth.area_id));
  return youth;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::RecordConsentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("scope", r.scope(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckText("given_by", r.given_by(), kMaxPersonBytes));
  // Every new consent has its giver and scope; the unstructured consents of before are only
  // replayed (they cover every agency).
  RETURN_IF_ERROR(CheckEnum("giver", r.giver(), v1::ConsentGiver_IsValid));
  RETURN_IF_ERROR(CheckCount("agency_ids", r.agency_ids_size(), 1, kMaxListEntries));
  for (int i = 0; i < r.agency_ids_size(); ++i) {
    RETURN_IF_ERROR(CheckId(absl::StrCat("agency_ids[", i, "]"), r.agency_ids(i), "agency"));
  }
  RETURN_IF_ERROR(CheckText("purpose", r.purpose(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckText("what", r.what(), kMaxTextBytes, false));
  RETURN_IF_ERROR(CheckConcerns("categories", r.categories(), 1));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForConsent(s, r.youth_id()));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "it takes no consent"));
  std::optional<int> age;
  for (int i = 0; i < r.agency_ids_size(); ++i) {
    RETURN_IF_ERROR(
        LoadAgencyInArea(s, absl::StrCat("agency_ids[", i, "]"), r.agency_ids(i), youth.area_id)
            .status());
  }
  // The youth gives consent from 15; a custody holder below that, and never for an adult.
  ASSIGN_OR_RETURN(age, AgeOf(s, youth, c.now));
  if (r.giver() == v1::CONSENT_GIVER_YOUTH) {
    RETURN_IF_ERROR(Rule(age.has_value(),
                         "giver: the youth's age is not known, so a custody holder gives consent"));
    RETURN_IF_ERROR(Rule(*age >= 15, absl::StrCat("giver: the youth is ", *age,
                                                  "; below 15 a custody holder gives consent")));
  } else {
    RETURN_IF_ERROR(Rule(!age.has_value() || *age < 15,
                         absl::StrCat("giver: the youth is ", age.value_or(0),
                                      "; from 15 the youth gives consent themself")));
  }
  // Recorded again under the name of a consent on record, it replaces that one and keeps its
  // id (a consent of before keeps being named by its scope, as its events already have it).
  ASSIGN_OR_RETURN(const std::optional<std::string> known, FindConsent(s, youth, r.scope()));
  const bool of_before = known.has_value() && !youth.consents.at(*known).has_id;
  const std::string consent_id = known.has_value() ? *known : NewId("consent");
  v1::Event e;
  auto* x = e.mutable_consent_recorded();
  x->set_youth_id(r.youth_id());
  if (of_before) {
    x->set_scope(r.scope());
  } else {
    x->set_consent_id(consent_id);
    ASSIGN_OR_RETURN(*x->mutable_scope_sealed(), s.Seal(r.youth_id(), "consent_scope", r.scope()));
  }
  ASSIGN_OR_RETURN(*x->mutable_given_by_sealed(),
                   s.Seal(r.youth_id(), "consent_given_by", r.given_by()));
  x->set_giver(r.giver());
  *x->mutable_agency_ids() = r.agency_ids();
  ASSIGN_OR_RETURN(*x->mutable_purpose_sealed(),
                   s.Seal(r.youth_id(), "consent_purpose", r.purpose()));
  if (!r.what().empty()) {
    ASSIGN_OR_RETURN(*x->mutable_what(), s.Seal(r.youth_id(), "consent_what", r.what()));
  }
  x->set_giver_age(age.value_or(-1));
  ASSIGN_OR_RETURN(*x->mutable_categories_sealed(), SealConcerns(s, r.youth_id(), r.categories()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  std::vector<std::string> created;
  if (!of_before) created.push_back(consent_id);
  return s.Finish(r.youth_id(), std::move(created));
}

absl::StatusOr<Decision> Decide(const v1::WithdrawConsentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("scope", r.scope(), kMaxNameBytes, false));
  RETURN_IF_ERROR(CheckId("consent_id", r.consent_id(), "consent", /*required=*/false));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForConsent(s, r.youth_id()));
  ASSIGN_OR_RETURN(const std::string key, ConsentNamed(s, youth, r.youth_id(), "scope", r.scope(),
                                                       "consent_id", r.consent_id(),
                                                       /*required=*/true));
  v1::Event e;
  e.mutable_consent_withdrawn()->set_youth_id(r.youth_id());
  auto* withdrawn = e.mutable_consent_withdrawn();
  (youth.consents.at(key).has_id ? withdrawn->mutable_consent_id() : withdrawn->mutable_scope())
      ->assign(key);
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::AdoptActionPlanRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckGoals("goals", r.goals()));
  RETURN_IF_ERROR(CheckFutureDate("review_date", r.review_date(), Today(c)));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, false));
  RETURN_IF_ERROR(CheckCitedDecision(r.meeting_id(), r.decision_id()));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "adopt action plans"));
  if (youth.plan_revision > 0) RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  RETURN_IF_ERROR(
      CitedDecision(s, youth, r.youth_id(), r.meeting_id(), r.decision_id(), "an action plan"));
  RETURN_IF_ERROR(PlanEvents(s, youth, r.youth_id(), r.goals(), r.review_date(), r.reason(),
                             r.meeting_id(), r.decision_id()));
  return s.Finish(r.youth_id());
}

namespace {

// The kind of the caller's agency, read only where the role leaves it open (a social
// caseworker of `area_id`); UNSPECIFIED otherwise.
v1::AgencyKind CaseworkersAgencyKind(Session& s, absl::string_view area_id) {
  const Principal& p = s.principal();
  if (p.role != Role::kSocialCaseworker || !p.InArea(area_id)) return v1::AGENCY_KIND_UNSPECIFIED;
  const absl::StatusOr<AgencyState> own = s.Load<AgencyState>("caller's agency", p.agency);
  return own.ok() ? own->kind : v1::AGENCY_KIND_UNSPECIFIED;
}

// Only the social administration's caseworkers record its assessments and decisions.
absl::Status RequireSocialCaseworker(Session& s, absl::string_view area_id,
                                     absl::string_view what) {
  return security::MayActAsSocialAdministration(s.principal(), area_id,
                                                CaseworkersAgencyKind(s, area_id), what);
}

// The youth's record on the family's behalf: the chief's office or the social administration.
absl::Status RequireRecordKeeper(Session& s, absl::string_view area_id, absl::string_view what) {
  return security::MayKeepRecord(s.principal(), area_id, CaseworkersAgencyKind(s, area_id), what);
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::RecordSocialDecisionRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckText("decision", r.decision(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireSocialCaseworker(
      s, youth.area_id,
      "record social assessments: only the social administration's caseworkers do"));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "it takes no decision"));
  v1::Event e;
  auto* x = e.mutable_social_decision_recorded();
  x->set_youth_id(r.youth_id());
  x->set_decision_id(NewId("decision"));
  ASSIGN_OR_RETURN(*x->mutable_decision(), s.Seal(r.youth_id(), "social_decision", r.decision()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

namespace {

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  out.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(out.seconds())) / absl::Nanoseconds(1)));
  return out;
}

// The youth's notification `id`, for a caseworker's next step.
absl::StatusOr<std::pair<YouthState, YouthState::Notification>> LoadNotification(
    Session& s, const std::string& youth_id, const std::string& notification_id,
    absl::string_view what) {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth"));
  RETURN_IF_ERROR(CheckId("notification_id", notification_id, "notification"));
  ASSIGN_OR_RETURN(YouthState youth, s.LoadMain<YouthState>("youth_id", youth_id));
  RETURN_IF_ERROR(RequireSocialCaseworker(s, youth.area_id, what));
  const auto it = youth.notifications.find(notification_id);
  if (it == youth.notifications.end()) {
    return absl::NotFoundError(
        absl::StrCat("notification_id: ", youth_id, " has no notification ", notification_id));
  }
  const YouthState::Notification notification = it->second;
  return std::make_pair(std::move(youth), notification);
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::NotifyChildWelfareRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckText("text", r.text(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(security::MayActAsAgency(c.principal, youth.area_id, r.agency_id(),
                                           "notify for this agency"));
  RETURN_IF_ERROR(LoadAgencyInArea(s, "agency_id", r.agency_id(), youth.area_id).status());
  const std::string id = NewId("notification");
  v1::Event e;
  auto* x = e.mutable_notification_made();
  x->set_notification_id(id);
  x->set_youth_id(r.youth_id());
  x->set_agency_id(r.agency_id());
  x->set_notified_by(c.principal.person);
  ASSIGN_OR_RETURN(*x->mutable_text(), s.Seal(r.youth_id(), "notification", r.text()));
  *x->mutable_assessment_due_at() = TimestampOf(c.now + kNotificationAssessmentTime);
  *x->mutable_receipt_due_on() = DateOf(AfterWorkingDays(
      DanishDay(c.now), kNotificationReceiptWorkingDays));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(id);
}

absl::StatusOr<Decision> Decide(const v1::AssessNotificationRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("assessment", r.assessment(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const auto found,
                   LoadNotification(s, r.youth_id(), r.notification_id(), "assess notifications"));
  RETURN_IF_ERROR(
      Rule(!found.second.assessed, absl::StrCat(r.notification_id(), " is assessed already")));
  v1::Event e;
  auto* x = e.mutable_notification_assessed();
  x->set_notification_id(r.notification_id());
  x->set_youth_id(r.youth_id());
  ASSIGN_OR_RETURN(*x->mutable_assessment(),
                   s.Seal(r.youth_id(), "notification_assessment", r.assessment()));
  s.Emit(r.youth_id(), found.first.area_id, std::move(e));
  return s.Finish(r.notification_id());
}

absl::StatusOr<Decision> Decide(const v1::ConfirmNotificationReceiptRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  ASSIGN_OR_RETURN(const auto found, LoadNotification(s, r.youth_id(), r.notification_id(),
                                                      "confirm the receipt of notifications"));
  RETURN_IF_ERROR(
      Rule(!found.second.receipt_confirmed,
           absl::StrCat("the receipt of ", r.notification_id(), " is confirmed already")));
  v1::Event e;
  auto* x = e.mutable_notification_receipt_confirmed();
  x->set_notification_id(r.notification_id());
  x->set_youth_id(r.youth_id());
  s.Emit(r.youth_id(), found.first.area_id, std::move(e));
  return s.Finish(r.notification_id());
}

absl::StatusOr<Decision> Decide(const v1::OpenChildWelfareInvestigationRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("notification_id", r.notification_id(), "notification", false));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireSocialCaseworker(s, youth.area_id, "open child-welfare investigations"));
  if (!r.notification_id().empty() && youth.notifications.count(r.notification_id()) == 0) {
    return absl::NotFoundError(absl::StrCat("notification_id: ", r.youth_id(),
                                            " has no notification ", r.notification_id()));
  }
  for (const auto& [id, investigation] : youth.investigations) {
    RETURN_IF_ERROR(
        Rule(investigation.done, absl::StrCat(r.youth_id(), " has an open investigation, ", id)));
  }
  const std::string id = NewId("investigation");
  const absl::CivilDay due = AddMonths(DanishDay(c.now), kInvestigationMonths);
  v1::Event e;
  auto* x = e.mutable_child_welfare_investigation_opened();
  x->set_investigation_id(id);
  x->set_youth_id(r.youth_id());
  x->set_notification_id(r.notification_id());
  *x->mutable_due_on() = DateOf(due);
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(id);
}

absl::StatusOr<Decision> Decide(const v1::CompleteChildWelfareInvestigationRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("investigation_id", r.investigation_id(), "investigation"));
  RETURN_IF_ERROR(CheckText("conclusion", r.conclusion(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(
      RequireSocialCaseworker(s, youth.area_id, "complete child-welfare investigations"));
  const auto it = youth.investigations.find(r.investigation_id());
  if (it == youth.investigations.end()) {
    return absl::NotFoundError(absl::StrCat("investigation_id: ", r.youth_id(),
                                            " has no investigation ", r.investigation_id()));
  }
  RETURN_IF_ERROR(
      Rule(!it->second.done, absl::StrCat(r.investigation_id(), " is completed already")));
  v1::Event e;
  auto* x = e.mutable_child_welfare_investigation_completed();
  x->set_investigation_id(r.investigation_id());
  x->set_youth_id(r.youth_id());
  ASSIGN_OR_RETURN(*x->mutable_conclusion(),
                   s.Seal(r.youth_id(), "investigation_conclusion", r.conclusion()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.investigation_id());
}

absl::StatusOr<Decision> Decide(const v1::RectifyPersonalDataRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckEnum("field", r.field(), v1::PersonalDataField_IsValid));
  // The same checks as at referral; the value is required.
  static constexpr std::pair<v1::PersonalDataField, const char*> kFields[] = {
      {v1::PERSONAL_DATA_FIELD_NAME, "name"},
      {v1::PERSONAL_DATA_FIELD_CPR_NUMBER, "cpr_number"},
      {v1::PERSONAL_DATA_FIELD_BIRTH_DATE, "birth_date"},
      {v1::PERSONAL_DATA_FIELD_ADDRESS, "address"}};
  const char* sealed_as = "";
  for (const auto& [field, name] : kFields) {
    if (field == r.field()) sealed_as = name;
  }
  RETURN_IF_ERROR(CheckText("value", r.value(),
                            r.field() == v1::PERSONAL_DATA_FIELD_ADDRESS ? 500 : kMaxNameBytes));
  if (r.field() == v1::PERSONAL_DATA_FIELD_CPR_NUMBER)
    RETURN_IF_ERROR(CheckCpr("value", r.value()));
  if (r.field() == v1::PERSONAL_DATA_FIELD_BIRTH_DATE) {
    RETURN_IF_ERROR(CheckBirthDate("value", r.value()));
  }
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireRecordKeeper(s, youth.area_id, "correct a youth's identifying data"));
  // Only what is on record is corrected: a youth known by sight gets its identity through
  // IdentifyYouth, with that command's checks.
  RETURN_IF_ERROR(Rule(youth.identity_known,
                       absl::StrCat("youth_id: ", r.youth_id(),
                                    " is not identified: record its identity with IdentifyYouth")));
  // The CPR number tells the birth date: a birth date is corrected only to the one the CPR
  // number on record tells, and a corrected CPR number corrects the birth date with it.
  std::string birth_date_follows;
  if (r.field() == v1::PERSONAL_DATA_FIELD_BIRTH_DATE) {
    ASSIGN_OR_RETURN(const std::optional<std::string> cpr, s.Open(youth.cpr_number));
    if (!CheckCprMatchesBirthDate("value", cpr.value_or(""), r.value()).ok()) {
      return absl::FailedPreconditionError(
          "value: the birth date must be the one the CPR number on record tells; correct the "
          "CPR number, and the birth date follows it");
    }
  } else if (r.field() == v1::PERSONAL_DATA_FIELD_CPR_NUMBER) {
    ASSIGN_OR_RETURN(const std::optional<std::string> birth, s.Open(youth.birth_date));
    const std::string told = BirthDateOfCpr(r.value());
    if (!told.empty() && told != birth.value_or("")) birth_date_follows = told;
  }
  auto rectify = [&](v1::PersonalDataField field, const char* sealed_as,
                     const std::string& value) -> absl::Status {
    v1::Event e;
    auto* x = e.mutable_personal_data_rectified();
    x->set_youth_id(r.youth_id());
    x->set_field(field);
    // Sealed as the original field, so that it reads (and is erased) the same way.
    ASSIGN_OR_RETURN(*x->mutable_value(), s.Seal(r.youth_id(), sealed_as, value));
    ASSIGN_OR_RETURN(*x->mutable_reason(),
                     s.Seal(r.youth_id(), "rectification_reason", r.reason()));
    s.Emit(r.youth_id(), youth.area_id, std::move(e));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(rectify(r.field(), sealed_as, r.value()));
  if (!birth_date_follows.empty()) {
    RETURN_IF_ERROR(rectify(v1::PERSONAL_DATA_FIELD_BIRTH_DATE, "birth_date", birth_date_follows));
  }
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordSubjectAccessRequestRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckEnum("requester", r.requester(), v1::ConsentGiver_IsValid));
  RETURN_IF_ERROR(CheckText("requested_by", r.requested_by(), kMaxNameBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireRecordKeeper(s, youth.area_id, "record subject access requests"));
  const std::string id = NewId("access");
  v1::Event e;
  auto* x = e.mutable_subject_access_requested();
  x->set_subject_access_id(id);
  x->set_youth_id(r.youth_id());
  x->set_requester(r.requester());
  ASSIGN_OR_RETURN(*x->mutable_requested_by(),
                   s.Seal(r.youth_id(), "subject_access_requested_by", r.requested_by()));
  *x->mutable_due_on() =
      DateOf(AddMonths(DanishDay(c.now), kSubjectAccessMonths));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(id);
}

absl::StatusOr<Decision> Decide(const v1::AnswerSubjectAccessCommand& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("subject_access_id", r.subject_access_id(), "access"));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(security::MayAnswerSubjectAccess(c.principal));
  if (youth.subject_access.count(r.subject_access_id()) == 0) {
    return absl::NotFoundError(absl::StrCat("subject_access_id: ", r.youth_id(),
                                            " has no subject access request ",
                                            r.subject_access_id()));
  }
  v1::Event e;
  auto* x = e.mutable_subject_access_answered();
  x->set_subject_access_id(r.subject_access_id());
  x->set_youth_id(r.youth_id());
  *x->mutable_redactions() = r.redactions();
  x->set_position(r.position());
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.subject_access_id());
}

absl::StatusOr<Decision> Decide(const v1::HandOverToAdultServicesRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("receiving_agency_id", r.receiving_agency_id(), "agency"));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes, false));
  RETURN_IF_ERROR(CheckCitedDecision(r.meeting_id(), r.decision_id()));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "hand cases over"));
  RETURN_IF_ERROR(CitedDecision(s, youth, r.youth_id(), r.meeting_id(), r.decision_id(),
                                "a handover to adult services"));
  RETURN_IF_ERROR(
      Rule(youth.status == v1::CASE_STATUS_ACCEPTED || youth.status == v1::CASE_STATUS_ACTIVE,
           absl::StrCat(r.youth_id(), " is not an accepted, open case")));
  // Adult services take over a youth about to turn 18 or older: from 17.
  ASSIGN_OR_RETURN(const std::optional<int> age, AgeOf(s, youth, c.now));
  RETURN_IF_ERROR(
      Rule(age.has_value(), absl::StrCat(r.youth_id(),
                                         "'s age is not known: record the birth "
                                         "date before handing over to adult services")));
  RETURN_IF_ERROR(Rule(
      *age >= 17, absl::StrCat(r.youth_id(), " is ", *age, "; adult services take over from 17")));
  // As at closing: the agencies' open commitments are fulfilled or cancelled first.
  RETURN_IF_ERROR(NoOpenCommitments(s, youth, r.youth_id()));
  RETURN_IF_ERROR(
      LoadAgencyInArea(s, "receiving_agency_id", r.receiving_agency_id(), youth.area_id).status());
  v1::Event e;
  auto* x = e.mutable_handed_over_to_adult_services();
  x->set_youth_id(r.youth_id());
  x->set_receiving_agency_id(r.receiving_agency_id());
  *x->mutable_handed_over_on() = DateOf(absl::ToCivilDay(c.now, absl::UTCTimeZone()));
  x->set_meeting_id(r.meeting_id());
  x->set_decision_id(r.decision_id());
  if (!r.note().empty()) {
    ASSIGN_OR_RETURN(*x->mutable_note(), s.Seal(r.youth_id(), "handover_note", r.note()));
  }
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::CloseCaseRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckEnum("outcome", r.outcome(), v1::CaseOutcome_IsValid));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes, false));
  RETURN_IF_ERROR(CheckCitedDecision(r.meeting_id(), r.decision_id()));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForCoordinator(s, r.youth_id(), "close cases"));
  RETURN_IF_ERROR(
      CitedDecision(s, youth, r.youth_id(), r.meeting_id(), r.decision_id(), "a closure"));
  RETURN_IF_ERROR(
      CloseEvents(s, youth, r.youth_id(), r.outcome(), r.note(), r.meeting_id(), r.decision_id()));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::ReopenCaseRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForCoordinator(s, r.youth_id(), "reopen cases"));
  RETURN_IF_ERROR(Rule(youth.status == v1::CASE_STATUS_CLOSED || youth.declined,
                       absl::StrCat(r.youth_id(), " is neither closed nor declined")));
  v1::Event e;
  e.mutable_case_reopened()->set_youth_id(r.youth_id());
  ASSIGN_OR_RETURN(*e.mutable_case_reopened()->mutable_reason(),
                   s.Seal(r.youth_id(), "reopen_reason", r.reason()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

// ---- The system's facts about a case (system_commands.proto) ----

namespace {

// The case a system fact is about: the command's main aggregate.
absl::StatusOr<YouthState> LoadCaseForSystem(Session& s, const std::string& youth_id) {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth"));
  return s.LoadMain<YouthState>("youth_id", youth_id);
}

bool IsOpen(const YouthState& youth) {
  return youth.status != v1::CASE_STATUS_CLOSED && youth.status != v1::CASE_STATUS_DECLINED &&
         youth.status != v1::CASE_STATUS_HANDED_OVER;
}

// The youth's 18th birthday, from the sealed birth date: FAILED_PRECONDITION if it is not known
// (or erased).
absl::StatusOr<absl::CivilDay> AdultOn(Session& s, const YouthState& youth,
                                       absl::string_view youth_id) {
  ASSIGN_OR_RETURN(const std::optional<std::string> birth, s.Open(youth.birth_date));
  const std::optional<absl::CivilDay> adult =
      birth.has_value() ? EighteenthBirthday(*birth) : std::nullopt;
  if (!adult.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(youth_id, "'s birth date is not known"));
  }
  return *adult;
}

// An item the case owes by a date (an investigation, a subject access request), missed.
absl::StatusOr<YouthState::Due> MissedDue(const std::map<std::string, YouthState::Due>& items,
                                          absl::string_view field, absl::string_view id,
                                          absl::string_view youth_id, absl::string_view what,
                                          absl::CivilDay today) {
  const auto it = items.find(std::string(id));
  if (it == items.end()) {
    return absl::NotFoundError(absl::StrCat(field, ": ", youth_id, " has no ", what, " ", id));
  }
  const YouthState::Due& due = it->second;
  RETURN_IF_ERROR(Rule(!due.done, absl::StrCat(id, " is done")));
  RETURN_IF_ERROR(Rule(!due.overdue, absl::StrCat(id, " is marked overdue already")));
  RETURN_IF_ERROR(
      Rule(DayOf(due.due_on) < today,
           absl::StrCat(id, " is due on ", FormatDate(due.due_on), ": not overdue yet")));
  return due;
}

// The notification `id` of the case; NOT_FOUND if it has none such.
absl::StatusOr<YouthState::Notification> NotificationOf(const YouthState& youth,
                                                        absl::string_view youth_id,
                                                        const std::string& id) {
  RETURN_IF_ERROR(CheckId("notification_id", id, "notification"));
  const auto it = youth.notifications.find(id);
  if (it == youth.notifications.end()) {
    return absl::NotFoundError(
        absl::StrCat("notification_id: ", youth_id, " has no notification ", id));
  }
  return it->second;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::MarkReviewDatePassedCommand& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark review dates passed"));
  if (!r.has_review_date()) return Invalid("review_date", "required");
  RETURN_IF_ERROR(CheckDate("review_date", r.review_date()));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForSystem(s, r.youth_id()));
  RETURN_IF_ERROR(Rule(youth.status == v1::CASE_STATUS_ACTIVE,
                       absl::StrCat(r.youth_id(), " is not an active case")));
  RETURN_IF_ERROR(Rule(
      youth.review_date.year() != 0 && DayNumber(youth.review_date) == DayNumber(r.review_date()),
      absl::StrCat("review_date: ", r.youth_id(), "'s plan is not reviewed on ",
                   FormatDate(r.review_date()))));
  const absl::CivilDay review = DayOf(youth.review_date);
  RETURN_IF_ERROR(
      Rule(review < Today(c), absl::StrCat(r.youth_id(), "'s review date ",
                                           FormatDate(youth.review_date), " has not passed")));
  RETURN_IF_ERROR(Rule(youth.reviews_passed.count(DayNumber(youth.review_date)) == 0,
                       absl::StrCat(r.youth_id(), "'s review date ", FormatDate(youth.review_date),
                                    " is marked passed already")));
  v1::Event e;
  e.mutable_review_date_passed()->set_youth_id(r.youth_id());
  *e.mutable_review_date_passed()->mutable_review_date() = youth.review_date;
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return FinishAt(s, r.youth_id(), StartOf(review + 1));
}

absl::StatusOr<Decision> Decide(const v1::MarkEighteenthBirthdayNearCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark 18th birthdays near"));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForSystem(s, r.youth_id()));
  RETURN_IF_ERROR(Rule(IsOpen(youth), absl::StrCat(r.youth_id(), " is not an open case")));
  RETURN_IF_ERROR(Rule(!youth.eighteenth_birthday_near,
                       absl::StrCat(r.youth_id(), "'s 18th birthday is marked near already")));
  ASSIGN_OR_RETURN(const absl::CivilDay adult, AdultOn(s, youth, r.youth_id()));
  const absl::CivilDay today = Today(c);
  RETURN_IF_ERROR(Rule(adult >= today && adult - today <= 90,
                       absl::StrCat(r.youth_id(), " does not turn 18 within 90 days")));
  v1::Event e;
  e.mutable_eighteenth_birthday_near()->set_youth_id(r.youth_id());
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return FinishAt(s, r.youth_id(), StartOf(adult - 90));
}

absl::StatusOr<Decision> Decide(const v1::LapseConsentCommand& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "lapse consents"));
  if (r.consent_key().empty()) return Invalid("consent_key", "required");
  RETURN_IF_ERROR(CheckTimestamp("given_at", r.given_at()));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForSystem(s, r.youth_id()));
  const auto consent = youth.consents.find(r.consent_key());
  if (consent == youth.consents.end()) {
    return absl::NotFoundError(absl::StrCat("consent_key: ", r.youth_id(), " has no such consent"));
  }
  RETURN_IF_ERROR(
      Rule(consent->second.in_force, absl::StrCat(r.youth_id(),
                                                  "'s consent is not in force (withdrawn or "
                                                  "lapsed already)")));
  ASSIGN_OR_RETURN(const absl::CivilDay adult, AdultOn(s, youth, r.youth_id()));
  RETURN_IF_ERROR(Rule(adult <= Today(c), absl::StrCat(r.youth_id(), " is not 18 yet")));
  // At 18 a consent given before then lapses; one the youth gave at 18 stands.
  RETURN_IF_ERROR(Rule(TimeOf(r.given_at()) < StartOf(adult),
                       absl::StrCat(r.youth_id(), "'s consent was given at 18")));
  v1::Event e;
  auto* lapsed = e.mutable_consent_lapsed();
  lapsed->set_youth_id(r.youth_id());
  (consent->second.has_id ? lapsed->mutable_consent_id() : lapsed->mutable_scope())
      ->assign(r.consent_key());
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return FinishAt(s, r.youth_id(), StartOf(adult));
}

absl::StatusOr<Decision> Decide(const v1::MarkNotificationAssessmentOverdueCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark notifications' assessments overdue"));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForSystem(s, r.youth_id()));
  ASSIGN_OR_RETURN(const YouthState::Notification notification,
                   NotificationOf(youth, r.youth_id(), r.notification_id()));
  RETURN_IF_ERROR(Rule(!notification.assessed, absl::StrCat(r.notification_id(), " is assessed")));
  RETURN_IF_ERROR(
      Rule(!notification.assessment_overdue,
           absl::StrCat(r.notification_id(), "'s assessment is marked overdue already")));
  RETURN_IF_ERROR(Rule(c.now > notification.assessment_due_at,
                       absl::StrCat(r.notification_id(), "'s assessment is not overdue yet")));
  v1::Event e;
  e.mutable_notification_assessment_overdue()->set_notification_id(r.notification_id());
  e.mutable_notification_assessment_overdue()->set_youth_id(r.youth_id());
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return FinishAt(s, r.youth_id(), notification.assessment_due_at);
}

absl::StatusOr<Decision> Decide(const v1::MarkNotificationReceiptOverdueCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark notifications' receipts overdue"));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForSystem(s, r.youth_id()));
  ASSIGN_OR_RETURN(const YouthState::Notification notification,
                   NotificationOf(youth, r.youth_id(), r.notification_id()));
  RETURN_IF_ERROR(Rule(!notification.receipt_confirmed,
                       absl::StrCat(r.notification_id(), "'s receipt is confirmed")));
  RETURN_IF_ERROR(Rule(!notification.receipt_overdue,
                       absl::StrCat(r.notification_id(), "'s receipt is marked overdue already")));
  const absl::CivilDay due = DayOf(notification.receipt_due_on);
  RETURN_IF_ERROR(
      Rule(due < Today(c), absl::StrCat(r.notification_id(), "'s receipt is not overdue yet")));
  v1::Event e;
  e.mutable_notification_receipt_overdue()->set_notification_id(r.notification_id());
  e.mutable_notification_receipt_overdue()->set_youth_id(r.youth_id());
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return FinishAt(s, r.youth_id(), StartOf(due + 1));
}

absl::StatusOr<Decision> Decide(const v1::MarkInvestigationOverdueCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark investigations overdue"));
  RETURN_IF_ERROR(CheckId("investigation_id", r.investigation_id(), "investigation"));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForSystem(s, r.youth_id()));
  ASSIGN_OR_RETURN(const YouthState::Due due,
                   MissedDue(youth.investigations, "investigation_id", r.investigation_id(),
                             r.youth_id(), "investigation", Today(c)));
  v1::Event e;
  auto* x = e.mutable_child_welfare_investigation_overdue();
  x->set_investigation_id(r.investigation_id());
  x->set_youth_id(r.youth_id());
  *x->mutable_due_on() = due.due_on;
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return FinishAt(s, r.youth_id(), StartOf(DayOf(due.due_on) + 1));
}

absl::StatusOr<Decision> Decide(const v1::MarkSubjectAccessOverdueCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark subject access requests overdue"));
  RETURN_IF_ERROR(CheckId("subject_access_id", r.subject_access_id(), "access"));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForSystem(s, r.youth_id()));
  ASSIGN_OR_RETURN(const YouthState::Due due,
                   MissedDue(youth.subject_access, "subject_access_id", r.subject_access_id(),
                             r.youth_id(), "subject access request", Today(c)));
  v1::Event e;
  auto* x = e.mutable_subject_access_overdue();
  x->set_subject_access_id(r.subject_access_id());
  x->set_youth_id(r.youth_id());
  *x->mutable_due_on() = due.due_on;
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return FinishAt(s, r.youth_id(), StartOf(DayOf(due.due_on) + 1));
}

}  // namespace hotspot::domain
