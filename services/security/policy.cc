#include "services/security/policy.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hotspot::security {
namespace {

// The cooperation's parties under Retsplejeloven § 115.
bool SspParty(const AgencyFacts& agency) {
  switch (agency.kind) {
    case v1::AGENCY_KIND_POLICE:
    case v1::AGENCY_KIND_SOCIAL_ADMINISTRATION:
    case v1::AGENCY_KIND_CHILDREN_AND_YOUTH_ADMINISTRATION:
    case v1::AGENCY_KIND_EMPLOYMENT_ADMINISTRATION:
    case v1::AGENCY_KIND_JOB_CENTRE:
    case v1::AGENCY_KIND_SCHOOL:
    case v1::AGENCY_KIND_CLUB:
    case v1::AGENCY_KIND_SSP:
    case v1::AGENCY_KIND_OUTREACH_TEAM:
    case v1::AGENCY_KIND_HOTSPOT_SECRETARIAT:
      return true;
    case v1::AGENCY_KIND_HOUSING_ASSOCIATION:
      return false;  // Almenboligloven § 63 d only, never § 115
    case v1::AGENCY_KIND_NGO:
      return false;  // on consent only: stk. 3 is for self-governing institutions, not NGOs
    default:
      return agency.self_governing_institution;  // stk. 3
  }
}

// The area's coordinators and the social administration's caseworkers see the whole of a case
// of their area.
bool SeesWholeCase(const Principal& who) {
  return who.role == Role::kCoordinator || who.role == Role::kSocialCaseworker;
}

template <typename Container>
bool Contains(const Container& c, absl::string_view value) {
  return std::find(std::begin(c), std::end(c), value) != std::end(c);
}

// `who` is the appointed chief (`chief`, "" while none is) of `area_id`, calling as a
// coordinator of the area.
bool IsAreasChief(const Principal& who, absl::string_view area_id, absl::string_view chief) {
  return who.role == Role::kCoordinator && !chief.empty() && who.person == chief &&
         who.InArea(area_id);
}

// An auditor of `area_id`: of every area (its token lists none), or of its own areas.
bool AuditsArea(const Principal& who, absl::string_view area_id) {
  return who.role == Role::kAuditor && (who.areas.empty() || who.InArea(area_id));
}

// "<person> (auditor of <agency>) may not <what> of <area>: an auditor bound to <areas> audits
// those areas only".
absl::Status RefuseOutsideAuditorsAreas(const Principal& who, absl::string_view what,
                                        absl::string_view area_id) {
  return Refuse(who, absl::StrCat(what, " of ", area_id.empty() ? "no known area" : area_id,
                                  ": an auditor bound to ", absl::StrJoin(who.areas, ", "),
                                  " audits those areas only"));
}

}  // namespace

std::string BasisName(v1::LegalBasis basis) {
  switch (basis) {
    case v1::LEGAL_BASIS_SSP_EXCHANGE:
      return "LEGAL_BASIS_SSP_EXCHANGE (Retsplejeloven § 115)";
    case v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS:
      return "LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS (Almenboligloven § 63 d)";
    case v1::LEGAL_BASIS_CONSENT:
      return "LEGAL_BASIS_CONSENT";
    case v1::LEGAL_BASIS_OTHER:
      return "LEGAL_BASIS_OTHER";
    default:
      return v1::LegalBasis_Name(basis);
  }
}

absl::Status MayShareUnder(const AgencyFacts& sharer, v1::LegalBasis basis) {
  bool allowed = false;
  std::string why;
  switch (basis) {
    case v1::LEGAL_BASIS_SSP_EXCHANGE:
      allowed = SspParty(sharer);
      why = sharer.kind == v1::AGENCY_KIND_HOUSING_ASSOCIATION
                ? "a housing association shares nothing under § 115"
                : "only the police and the cooperation's municipal parties (and self-governing "
                  "institutions under stk. 3) share under § 115";
      break;
    case v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS:
      allowed = sharer.kind == v1::AGENCY_KIND_POLICE;
      why = "only the police share their information about criminal decisions";
      break;
    case v1::LEGAL_BASIS_CONSENT:
    case v1::LEGAL_BASIS_OTHER:
      allowed = true;
      break;
    default:
      why = "no legal basis was given";
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("legal_basis: ", BasisName(basis),
                                                    " is not a basis ", sharer.agency_id,
                                                    " may share under: ", why));
}

absl::Status MayReceiveUnder(const AgencyFacts& recipient, v1::LegalBasis basis) {
  bool allowed = false;
  std::string why;
  switch (basis) {
    case v1::LEGAL_BASIS_SSP_EXCHANGE:
      allowed = SspParty(recipient);
      why = "§ 115 shares go only to the police and the cooperation's municipal parties";
      break;
    case v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS:
      allowed = recipient.kind == v1::AGENCY_KIND_HOUSING_ASSOCIATION;
      why = "§ 63 d shares go only to housing associations";
      break;
    case v1::LEGAL_BASIS_CONSENT:
      // A housing association receives only the police's information about criminal
      // decisions (Almenboligloven § 63 d).
      allowed = recipient.kind != v1::AGENCY_KIND_HOUSING_ASSOCIATION;
      why = "a housing association receives only the police's criminal decisions (§ 63 d)";
      break;
    case v1::LEGAL_BASIS_OTHER:
      // Another basis is a public authority's (Forvaltningsloven, Serviceloven, ...): it goes to
      // the police and the municipal parties. An NGO or another outside agency receives a
      // youth's data only on consent; a housing association only under § 63 d.
      allowed = SspParty(recipient);
      why = "what is shared under another basis goes only to the police and the municipal "
            "parties: an NGO or another outside agency receives only on consent, a housing "
            "association only the police's criminal decisions (§ 63 d)";
      break;
    default:
      why = "no legal basis was given";
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("recipient_agency_ids: ", recipient.agency_id,
                                                    " may not receive what is shared "
                                                    "under ",
                                                    BasisName(basis), ": ", why));
}

absl::Status MayTakeOnCasework(const AgencyFacts& agency, bool consented, absl::string_view field) {
  if (consented || SspParty(agency) || agency.kind == v1::AGENCY_KIND_HOUSING_ASSOCIATION) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": ", agency.agency_id,
                   " is no party to the § 115 exchange: a task in a youth's case tells it whom the "
                   "case is about, so it needs a consent in force that names it"));
}

std::optional<bool> MaySeeWithoutCase(const Principal& who, absl::string_view area_id,
                                      absl::string_view involved_agency) {
  if (!who.InArea(area_id)) return false;
  switch (who.role) {
    case Role::kCoordinator:
    case Role::kSocialCaseworker:
      return true;
    case Role::kAgencyMember:
    case Role::kAgencyLeader:
      // An agency outside the § 115 exchange is involved only while a consent names it: the
      // case must be looked at.
      if (!involved_agency.empty() && involved_agency == who.agency &&
          (SspParty(who.Agency()) || who.agency_kind == v1::AGENCY_KIND_HOUSING_ASSOCIATION)) {
        return true;
      }
      return std::nullopt;  // depends on whether the caller's agency is involved
    default:
      return false;
  }
}

std::string InvolvedThrough(const v1::EscalationView& escalation) {
  return escalation.target_agency_id();
}

bool MaySeeEscalationReason(const Principal& who, const v1::EscalationView& escalation,
                            const v1::CaseView& view, const std::vector<std::string>& contacts,
                            absl::string_view chief) {
  if (IsAreasChief(who, escalation.area_id(), chief)) return true;
  const std::string& target = escalation.target_agency_id();
  if (who.agency != target || who.person.empty()) return false;
  if (Contains(contacts, who.person)) return true;
  for (const v1::CommitmentView& commitment : view.commitments()) {
    if (commitment.owning_agency_id() == target && commitment.responsible_person() == who.person) {
      return true;
    }
  }
  for (const v1::OutreachView& task : view.outreach()) {
    if (task.agency_id() == target && task.person() == who.person) return true;
  }
  return false;
}

bool MaySeeEscalationTextsInStream(const Principal& who, absl::string_view area_id,
                                   absl::string_view chief) {
  return IsAreasChief(who, area_id, chief);
}

bool CommitmentOpensTheCase(v1::CommitmentState state) {
  return state != v1::COMMITMENT_STATE_DECLINED && state != v1::COMMITMENT_STATE_CANCELLED &&
         state != v1::COMMITMENT_STATE_WITHDRAWN;
}

namespace {

// Whether the consent that `concern` was shared on stands in `view` for `agency` (a consent
// recorded again under its name: its latest recording, which must name the agency too: a
// consent given anew under the old name to other agencies does not bring back what the
// withdrawal hid from this one).
bool ConsentStands(const v1::CaseView& view, const v1::SharedConcern& concern,
                   absl::string_view agency) {
  const std::string key = ConsentKey(concern);
  bool in_force = false;
  for (const v1::ConsentView& consent : view.consents()) {
    if (ConsentKey(consent) != key) continue;
    in_force = consent.in_force() &&
               (consent.agency_ids().empty() || Contains(consent.agency_ids(), agency));
  }
  return in_force;
}

// A consent in force names `agency`. (An unstructured consent of before names no agency, and so
// involves none outside the § 115 exchange.)
bool ConsentNames(const v1::CaseView& view, absl::string_view agency) {
  return std::any_of(
      view.consents().begin(), view.consents().end(), [&](const v1::ConsentView& consent) {
        return consent.in_force() && Contains(consent.agency_ids(), agency);
      });
}

// `agency` is involved in the case (see MaySeePersonalData). An agency outside the § 115
// exchange (not a housing association) is involved only while a consent names it, whether it
// referred the youth or has tasks (outreach, commitments): it knows what it told, and withdrawn,
// the consent takes back what it opened.
bool Involved(const v1::CaseView& view, const AgencyFacts& agency) {
  if (!Contains(view.agencies_involved(), agency.agency_id)) return false;
  if (!SspParty(agency) && agency.kind != v1::AGENCY_KIND_HOUSING_ASSOCIATION &&
      !ConsentNames(view, agency.agency_id)) {
    return false;
  }
  if (view.referral().referring_agency_id() == agency.agency_id) return true;
  for (const v1::OutreachView& task : view.outreach()) {
    if (task.agency_id() == agency.agency_id) return true;
  }
  for (const v1::CommitmentView& commitment : view.commitments()) {
    if (commitment.owning_agency_id() == agency.agency_id &&
        CommitmentOpensTheCase(commitment.state())) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool MaySeePersonalData(const Principal& who, const v1::CaseView& view) {
  if (const std::optional<bool> known = MaySeeWithoutCase(who, view.area_id(), "")) return *known;
  if (Involved(view, who.Agency())) return true;
  // A share's recipient knows whom it is about: on consent, only while the consent stands.
  for (const v1::SharedConcern& concern : view.concerns_shared()) {
    if (!Contains(concern.recipient_agency_ids(), who.agency)) continue;
    // Its basis must still allow the recipient (a share in the log from before a rule closed).
    if (!MayReceiveUnder(who.Agency(), concern.legal_basis()).ok()) continue;
    if (concern.legal_basis() != v1::LEGAL_BASIS_CONSENT) return true;
    if (ConsentStands(view, concern, who.agency)) return true;
  }
  return false;
}

namespace {

// MaySeeConcern, but for whether the consent it was shared on still stands.
bool RecipientOf(const Principal& who, const v1::CaseView& view,
                 const v1::SharedConcern& concern) {
  if (!MaySeePersonalData(who, view)) return false;
  if (SeesWholeCase(who) || who.agency == concern.agency_id()) return true;
  // Its basis must allow the reader (also for a share of before recipients were recorded, which
  // goes to every agency involved that its basis allows).
  if (!MayReceiveUnder(who.Agency(), concern.legal_basis()).ok()) return false;
  return concern.recipient_agency_ids().empty() ||
         Contains(concern.recipient_agency_ids(), who.agency);
}

}  // namespace

bool MaySeeConcern(const Principal& who, const v1::CaseView& view,
                   const v1::SharedConcern& concern) {
  if (!RecipientOf(who, view, concern)) return false;
  if (SeesWholeCase(who) || who.agency == concern.agency_id()) return true;
  if (concern.recipient_agency_ids().empty()) return true;
  if (concern.legal_basis() != v1::LEGAL_BASIS_CONSENT) return true;
  // On consent: only while it stands.
  return ConsentStands(view, concern, who.agency);
}

bool ConsentEndedFor(const Principal& who, const v1::CaseView& view,
                     const v1::SharedConcern& concern) {
  return RecipientOf(who, view, concern) && !MaySeeConcern(who, view, concern);
}

bool MaySeeReferral(const Principal& who, const v1::CaseView& view) {
  if (!MaySeePersonalData(who, view)) return false;
  return SeesWholeCase(who) || who.agency == view.referral().referring_agency_id();
}

bool MaySeeCasework(const Principal& who, absl::string_view owner) {
  if (SeesWholeCase(who) || SspParty(who.Agency())) {
    return true;
  }
  return !owner.empty() && owner == who.agency;
}

bool MaySeeIdentityNumbers(const Principal& who) {
  return SeesWholeCase(who) || SspParty(who.Agency());
}

bool MaySeeConsent(const Principal& who, const v1::ConsentView& consent) {
  return SeesWholeCase(who) || consent.agency_ids().empty() ||
         Contains(consent.agency_ids(), who.agency);
}

bool MaySeeNotification(const Principal& who, const v1::NotificationView& notification) {
  return SeesWholeCase(who) || who.agency == notification.agency_id();
}

bool MaySeeNotificationAssessment(const Principal& who) { return SeesWholeCase(who); }

bool MaySeeInvestigations(const Principal& who) { return SeesWholeCase(who); }

bool MaySeeSocialDecisions(const Principal& who) { return SeesWholeCase(who); }

bool MaySeeSubjectAccessRequests(const Principal& who) { return SeesWholeCase(who); }

bool MaySeeEveryChange(const Principal& who) { return SeesWholeCase(who); }

bool MaySeeEveryChangeIn(const Principal& who, absl::string_view area_id) {
  if (who.role == Role::kAdmin || who.role == Role::kSystem) return true;
  if (who.role == Role::kAuditor) return AuditsArea(who, area_id);
  return MaySeeEveryChange(who) && who.InArea(area_id);
}

bool MaySeePossibleDuplicates(const Principal& who, const v1::CaseView& view,
                              absl::string_view chief) {
  return IsAreasChief(who, view.area_id(), chief) && MaySeePersonalData(who, view);
}

absl::Status MayHoldRole(const Principal& who, v1::AgencyKind agency_kind) {
  if (who.role != Role::kSocialCaseworker || agency_kind == v1::AGENCY_KIND_SOCIAL_ADMINISTRATION) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(who.person, ": the role ", RoleName(who.role),
                   " is a social administration's, and ", who.agency, " is ",
                   agency_kind == v1::AGENCY_KIND_UNSPECIFIED
                       ? "not a registered agency"
                       : absl::StrCat("registered as ", v1::AgencyKind_Name(agency_kind))));
}

absl::Status Admit(Principal& who, const AgencyLookup& agency_of) {
  if (!IsCoordinator(who) && !IsAgencyRole(who.role)) return absl::OkStatus();
  absl::StatusOr<AgencyFacts> agency = agency_of(who.agency);
  if (!agency.ok()) return agency.status();
  who.agency_kind = agency->kind;
  who.self_governing_institution = agency->self_governing_institution;
  return MayHoldRole(who, agency->kind);
}

absl::Status Refuse(const Principal& who, absl::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat(who.person, " (", RoleName(who.role), " of ", who.agency, ") may not ", what));
}

absl::Status MayActInArea(const Principal& who, absl::string_view area_id) {
  if (who.InArea(area_id)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(who.person, " has no access to ", area_id));
}

bool MayLearnOfCaseIn(const Principal& who, absl::string_view area_id) {
  return who.role == Role::kSystem || who.InArea(area_id) || AuditsArea(who, area_id);
}

absl::Status RefuseOutsideCase(const Principal& who, absl::string_view youth_id) {
  return RefuseOutside(who, "youth_id", youth_id);
}

absl::Status RefuseOutside(const Principal& who, absl::string_view field, absl::string_view id) {
  return absl::PermissionDeniedError(
      absl::StrCat(field, ": ", who.person, " has no access to ", id));
}

bool IsCoordinator(const Principal& who) { return who.role == Role::kCoordinator; }

bool IsAgencyRole(Role role) {
  return role == Role::kAgencyMember || role == Role::kAgencyLeader ||
         role == Role::kSocialCaseworker;
}

absl::Status MayManageArea(const Principal& who, absl::string_view area_id,
                           absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (who.role == Role::kCoordinator || who.role == Role::kAdmin) return absl::OkStatus();
  return Refuse(who, what);
}

absl::Status MayCoordinate(const Principal& who, absl::string_view area_id,
                           absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  return IsCoordinator(who) ? absl::OkStatus() : Refuse(who, what);
}

absl::Status MayActAsChief(const Principal& who, absl::string_view area_id, absl::string_view chief,
                           absl::string_view what) {
  if (absl::Status coordinator = MayCoordinate(who, area_id, what); !coordinator.ok()) {
    return coordinator;
  }
  if (!chief.empty() && who.person == chief) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(who.person, " (", RoleName(who.role), " of ", who.agency, ") may not ", what,
                   ": that is the hotspot chief's, ",
                   chief.empty() ? absl::StrCat("and ", area_id, " has no chief appointed")
                                 : absl::StrCat(chief, " of ", area_id)));
}

absl::Status MayActAsChiefOrAdmin(const Principal& who, absl::string_view area_id,
                                  absl::string_view chief, absl::string_view what) {
  if (who.role == Role::kAdmin) return MayActInArea(who, area_id);
  return MayActAsChief(who, area_id, chief, what);
}

absl::Status MayAppointChief(const Principal& who, absl::string_view area_id) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  return who.role == Role::kAdmin ? absl::OkStatus() : Refuse(who, "appoint the chief");
}

absl::Status MayConstituteGoverningBody(const Principal& who, absl::string_view area_id,
                                        absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (who.role == Role::kAdmin) return absl::OkStatus();
  return Refuse(who, absl::StrCat(what, ": only an admin of ", area_id, " does"));
}

absl::Status MayActForAgency(const Principal& who, absl::string_view area_id,
                             absl::string_view agency_id, absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (IsCoordinator(who) || (IsAgencyRole(who.role) && who.agency == agency_id)) {
    return absl::OkStatus();
  }
  return Refuse(who, what);
}

absl::Status MayActAsSocialAdministration(const Principal& who, absl::string_view area_id,
                                          v1::AgencyKind agency_kind, absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (who.role != Role::kSocialCaseworker || agency_kind != v1::AGENCY_KIND_SOCIAL_ADMINISTRATION) {
    return Refuse(who, what);
  }
  return absl::OkStatus();
}

absl::Status MayKeepRecord(const Principal& who, absl::string_view area_id,
                           v1::AgencyKind agency_kind, absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (IsCoordinator(who)) return absl::OkStatus();
  return MayActAsSocialAdministration(who, area_id, agency_kind, what);
}

absl::Status MayEstablishArea(const Principal& who, absl::string_view area_id) {
  if (who.role == Role::kAdmin) return absl::OkStatus();
  return MayManageArea(who, area_id, "establish an area");
}

absl::Status MaySetUpAgency(const Principal& who, absl::string_view area_id,
                            absl::string_view agency_id, absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (who.role == Role::kAdmin) return absl::OkStatus();
  if (who.role == Role::kAgencyLeader && who.agency == agency_id) return absl::OkStatus();
  return Refuse(who, absl::StrCat(what, ": only ", agency_id, "'s own leaders (or an admin of ",
                                  area_id, ") do"));
}

absl::Status MayChangeEscalatedRungs(const Principal& who, absl::string_view area_id,
                                     absl::string_view agency_id,
                                     const std::vector<std::string>& holders,
                                     absl::string_view field, absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (who.role == Role::kAdmin) return absl::OkStatus();
  if (IsAgencyRole(who.role) && who.agency == agency_id && Contains(holders, who.person)) {
    return absl::OkStatus();
  }
  const absl::Status refused =
      Refuse(who, absl::StrCat(what, ": only those who hold these rungs now (",
                               absl::StrJoin(holders, ", "), ") or an admin of ", area_id, " do"));
  return absl::PermissionDeniedError(absl::StrCat(field, ": ", refused.message()));
}

absl::Status MayRecordConsent(const Principal& who, absl::string_view area_id) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (IsCoordinator(who) || who.role == Role::kSocialCaseworker) return absl::OkStatus();
  return Refuse(who, "record consent");
}


namespace {

// A coordinator acts for her own agency only as the hotspot secretariat it is registered as: a
// chief's token bound to another agency coordinates, it does not speak for that agency.
absl::Status RefuseUnlessSecretariat(const Principal& who, absl::string_view what) {
  if (who.agency_kind == v1::AGENCY_KIND_HOTSPOT_SECRETARIAT) return absl::OkStatus();
  return Refuse(who, absl::StrCat(what, ": a coordinator acts for an agency only as the area's "
                                        "hotspot secretariat, and ",
                                  who.agency, " is ",
                                  who.agency_kind == v1::AGENCY_KIND_UNSPECIFIED
                                      ? std::string("not a registered agency")
                                      : absl::StrCat("registered as ",
                                                     v1::AgencyKind_Name(who.agency_kind))));
}

// OK if `who` is one of `agency_id`'s people: its members, leaders or caseworkers, or a
// coordinator of it if it is the hotspot secretariat (RefuseUnlessSecretariat); refused with
// `otherwise` if of another agency.
absl::Status OfAgency(const Principal& who, absl::string_view agency_id, absl::string_view what,
                      absl::string_view otherwise) {
  if (who.agency == agency_id && IsAgencyRole(who.role)) return absl::OkStatus();
  if (who.agency == agency_id && IsCoordinator(who)) return RefuseUnlessSecretariat(who, what);
  return Refuse(who, absl::StrCat(what, ": ", otherwise));
}

}  // namespace

absl::Status MayRecordMeasurement(const Principal& who, absl::string_view area_id,
                                  absl::string_view owner) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (owner.empty()) return Refuse(who, "record a measure that no agency owns");
  return OfAgency(who, owner, absl::StrCat("record the measure of ", owner),
                  absl::StrCat("the measure is ", owner, "'s; only its people record it"));
}

absl::Status MayDefineMeasure(const Principal& who, absl::string_view area_id,
                              absl::string_view chief, absl::string_view owner,
                              absl::string_view new_owner) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  // An admin sets a new measure up; a measure that has its owner is changed only by it.
  if (who.role == Role::kAdmin && owner.empty()) return absl::OkStatus();
  for (absl::string_view agency : {owner, new_owner}) {
    if (agency.empty()) continue;
    const std::string what =
        absl::StrCat("define this measure: it ", agency == owner ? "is " : "would be ", agency,
                     "'s, decided by that agency");
    absl::Status of = OfAgency(who, agency, what, absl::StrCat("only ", agency, "'s people do"));
    // The secretariat's own measures are its chief's.
    if (of.ok() && IsCoordinator(who)) of = MayActAsChief(who, area_id, chief, what);
    if (!of.ok()) return of;
  }
  return absl::OkStatus();
}

absl::Status MayActAsAgency(const Principal& who, absl::string_view area_id,
                            absl::string_view agency_id, absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  return OfAgency(who, agency_id, what, absl::StrCat("only ", agency_id, " itself does"));
}

absl::Status MayChangeCommitment(const Principal& who, absl::string_view area_id,
                                 absl::string_view owner, absl::string_view chief,
                                 bool leaders_only, absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  const bool coordinator = IsCoordinator(who);
  if (coordinator && who.agency == owner) {
    if (absl::Status secretariat = RefuseUnlessSecretariat(who, what); !secretariat.ok()) {
      return secretariat;
    }
  }
  if (!(coordinator || IsAgencyRole(who.role)) || who.agency != owner) {
    return Refuse(who, coordinator ? absl::StrCat(what, ": the commitment is ", owner,
                                                  "'s; the chief follows it up (RecordFollowUp) "
                                                  "or escalates")
                                   : absl::StrCat(what, ": only ", owner, " does"));
  }
  if (!leaders_only) return absl::OkStatus();
  // The hotspot secretariat's leader is the area's chief.
  const bool leader =
      coordinator ? !chief.empty() && who.person == chief : who.role == Role::kAgencyLeader;
  if (leader) return absl::OkStatus();
  return Refuse(who, absl::StrCat(what, ": only ", owner, "'s leaders do",
                                  coordinator ? " (the hotspot chief)" : ""));
}

absl::Status MayWithdrawProposal(const Principal& who, absl::string_view area_id,
                                 absl::string_view chief, absl::string_view author) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  if (who.role == Role::kAdmin) return absl::OkStatus();  // an operator's repair
  if (IsCoordinator(who) && ((!author.empty() && who.person == author) ||
                             (!chief.empty() && who.person == chief))) {
    return absl::OkStatus();
  }
  return Refuse(who, absl::StrCat("withdraw this proposal: only its author (", author,
                                  "), the area's chief (", chief, ") or an admin of ", area_id,
                                  " (an operator's repair) does"));
}

absl::Status MayAnswerEscalation(const Principal& who, absl::string_view contact,
                                 absl::string_view agency, absl::string_view level,
                                 absl::string_view what) {
  if (!contact.empty() && who.person == contact && IsAgencyRole(who.role) && who.agency == agency) {
    return absl::OkStatus();
  }
  return Refuse(who,
                absl::StrCat(what, ": at ", level, " only ", agency, "'s contact for that rung",
                             contact.empty() ? "" : absl::StrCat(", ", contact),
                             ", does, as a person of ", agency));
}

absl::Status MayActOnErasure(const Principal& who, absl::string_view area_id, Role role,
                             absl::string_view what) {
  if (absl::Status area = MayActInArea(who, area_id); !area.ok()) return area;
  return who.role == role ? absl::OkStatus() : Refuse(who, what);
}

absl::Status MayAnswerSubjectAccess(const Principal& who) {
  if (who.role == Role::kAuditor) return absl::OkStatus();
  return Refuse(who, "answer subject access requests: only an auditor");
}

absl::Status MayRecordSystemFact(const Principal& who, absl::string_view what) {
  if (who.role == Role::kSystem) return absl::OkStatus();
  return Refuse(who, absl::StrCat(what, ": only hotspotd's deadline process records it"));
}

absl::Status MayReadArea(const Principal& who, absl::string_view area_id) {
  return MayActInArea(who, area_id);
}

absl::Status MayAuditCase(const Principal& who, absl::string_view area_id) {
  if (absl::Status role = MayAuditCases(who); !role.ok()) return role;
  if (who.role != Role::kAuditor) return MayReadArea(who, area_id);
  if (AuditsArea(who, area_id)) return absl::OkStatus();
  return RefuseOutsideAuditorsAreas(who, "read a case's history", area_id);
}

absl::Status MayAuditCases(const Principal& who) {
  if (who.role == Role::kAuditor || who.role == Role::kCoordinator) return absl::OkStatus();
  return Refuse(who, "read a case's history: only an auditor or a coordinator of the youth's area");
}

absl::Status MayReviewErasures(const Principal& who, absl::string_view area_id) {
  if (AuditsArea(who, area_id) || (who.role == Role::kCoordinator && who.InArea(area_id))) {
    return absl::OkStatus();
  }
  return Refuse(who, absl::StrCat("list the cases of ", area_id,
                                  " due for an erasure review: only an auditor or a coordinator "
                                  "of the area"));
}

absl::Status MayReadAccessLog(const Principal& who) {
  if (who.role == Role::kAuditor) return absl::OkStatus();
  return Refuse(who, "read the access log: only an auditor");
}

absl::Status MayReadAccessRecordsOf(const Principal& who, absl::string_view youth_id,
                                    absl::string_view area_id) {
  if (absl::Status role = MayReadAccessLog(who); !role.ok()) return role;
  if (AuditsArea(who, area_id)) return absl::OkStatus();
  return RefuseOutsideCase(who, youth_id);
}

std::optional<std::vector<std::string>> AccessRecordAreas(const Principal& who) {
  if (who.role != Role::kAuditor) return std::vector<std::string>();
  if (who.areas.empty()) return std::nullopt;
  return who.areas;
}

absl::Status MayVerifyLog(const Principal& who) {
  if (who.role == Role::kAuditor || who.role == Role::kAdmin) return absl::OkStatus();
  return Refuse(who, "verify the log: only an auditor or an admin");
}

absl::Status MayOperate(const Principal& who) {
  if (who.role == Role::kAdmin) return absl::OkStatus();
  return Refuse(who, "operate the service: only an admin");
}

absl::StatusOr<SubscriptionScope> SubscriptionScopeOf(const Principal& who,
                                                      const std::string& area_id) {
  std::vector<std::string> areas =
      area_id.empty() ? std::vector<std::string>{} : std::vector<std::string>{area_id};
  switch (who.role) {
    case Role::kAdmin:
      return SubscriptionScope{std::move(areas), false, false};
    case Role::kAuditor:
      if (who.areas.empty()) return SubscriptionScope{std::move(areas), false, true};
      [[fallthrough]];  // bound to its areas, as below
    case Role::kCoordinator:
    case Role::kIntegration: {
      if (who.areas.empty()) {
        return absl::PermissionDeniedError(absl::StrCat(who.person, " has no area"));
      }
      if (area_id.empty()) {
        areas = who.areas;
      } else if (absl::Status area = MayReadArea(who, area_id); !area.ok()) {
        return area;
      }
      const bool coordinator = IsCoordinator(who);
      return SubscriptionScope{std::move(areas), coordinator,
                               coordinator || who.role == Role::kAuditor};
    }
    default:
      return Refuse(who, "subscribe: only an integration, an auditor, an admin or a coordinator");
  }
}

bool IsConfidentialEventType(absl::string_view type) {
  static constexpr absl::string_view kTypes[] = {
      "hotspot.v1.NotificationMade",
      "hotspot.v1.NotificationAssessed",
      "hotspot.v1.NotificationReceiptConfirmed",
      "hotspot.v1.NotificationAssessmentOverdue",
      "hotspot.v1.NotificationReceiptOverdue",
      "hotspot.v1.ChildWelfareInvestigationOpened",
      "hotspot.v1.ChildWelfareInvestigationCompleted",
      "hotspot.v1.ChildWelfareInvestigationOverdue",
      "hotspot.v1.SocialDecisionRecorded",
      "hotspot.v1.SubjectAccessRequested",
      "hotspot.v1.SubjectAccessAnswered",
      "hotspot.v1.SubjectAccessOverdue",
      // Dated by the youth's birthday: their time tells the birth date.
      "hotspot.v1.EighteenthBirthdayNear",
      "hotspot.v1.ConsentLapsed",
  };
  return Contains(kTypes, type);
}

bool MaySeeChildWelfareFigures(const Principal& who) {
  return MaySeeInvestigations(who) || who.role == Role::kAuditor;
}

}  // namespace hotspot::security
