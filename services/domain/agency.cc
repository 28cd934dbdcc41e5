// An agency: its registration, leadership ladder and register of its people.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/text.h"
#include "services/domain/checks.h"
#include "services/domain/decide.h"
#include "services/domain/rules.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::domain {

absl::StatusOr<Decision> Decide(const v1::RegisterAgencyRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckSlugId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckEnum("kind", r.kind(), v1::AgencyKind_IsValid));
  // Retsplejeloven § 115 stk. 3 is for a self-governing institution: registered by its kind if
  // it is a school or a club, else as OTHER. A housing association or an NGO never joins by it,
  // and the named administrations are municipal: the flag there would be read as meaning what
  // it cannot.
  const bool may_be_self_governing = r.kind() == v1::AGENCY_KIND_SCHOOL ||
                                     r.kind() == v1::AGENCY_KIND_CLUB ||
                                     r.kind() == v1::AGENCY_KIND_OTHER;
  if (r.self_governing_institution() && !may_be_self_governing) {
    return absl::InvalidArgumentError(absl::StrCat(
        "self_governing_institution: only a school, a club or an agency of kind OTHER joins the "
        "SSP exchange under Retsplejeloven § 115 stk. 3, not one of kind ",
        v1::AgencyKind_Name(r.kind())));
  }
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "register an agency"));
  ASSIGN_OR_RETURN(const AgencyState agency,
                   s.LoadMain<AgencyState>("agency_id", r.agency_id(), false));
  if (agency.exists) {
    return absl::AlreadyExistsError(absl::StrCat(r.agency_id(), " is registered already"));
  }
  RETURN_IF_ERROR(s.Load<AreaState>("area_id", r.area_id()).status());
  v1::Event e;
  auto* x = e.mutable_agency_registered();
  x->set_agency_id(r.agency_id());
  x->set_area_id(r.area_id());
  x->set_name(r.name());
  x->set_kind(r.kind());
  x->set_self_governing_institution(r.self_governing_institution());
  s.Emit(r.agency_id(), r.area_id(), std::move(e));
  return s.Finish(r.agency_id());
}

// An agency that serves several areas is registered once and linked to each further one of its
// municipality. The agency agrees to serve it: its own leaders link it, or an admin of the area it
// is registered in (security::MaySetUpAgency, asked for that home area); not the chief nor an
// admin of the new area, who would then take it over (propose commitments to it, set its ladder).
absl::StatusOr<Decision> Decide(const v1::LinkAgencyToAreaRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  ASSIGN_OR_RETURN(const AgencyState agency, s.LoadMain<AgencyState>("agency_id", r.agency_id()));
  RETURN_IF_ERROR(security::MaySetUpAgency(c.principal, agency.area_id, r.agency_id(),
                                           "link an agency to another area"));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(Rule(agency.areas.count(r.area_id()) == 0,
                       absl::StrCat(r.agency_id(), " serves ", r.area_id(), " already")));
  ASSIGN_OR_RETURN(const AreaState home, s.Load<AreaState>("area_id", agency.area_id));
  // One municipality however its name was typed: compared as the duplicate index compares it
  // (common::NormaliseName: case, white space and hyphens; "København" and "Copenhagen" are
  // two names, as entered).
  RETURN_IF_ERROR(
      Rule(common::NormaliseName(home.municipality) == common::NormaliseName(area.municipality),
           absl::StrCat("area_id: ", r.area_id(), " is of ", area.municipality, "; ", r.agency_id(),
                        " is an agency of ", home.municipality)));
  v1::Event e;
  e.mutable_agency_area_linked()->set_agency_id(r.agency_id());
  e.mutable_agency_area_linked()->set_area_id(r.area_id());
  s.Emit(r.agency_id(), r.area_id(), std::move(e));
  return s.Finish(r.agency_id());
}

namespace {

// The agency `agency_id`, as the command's main aggregate, if the caller may set it up (its
// ladder, its people: security::MaySetUpAgency). One ladder and one register for every area the
// agency serves: asked in the area it is registered in, so that no admin of an area it was
// linked to rewrites them for the others.
absl::StatusOr<AgencyState> LoadAgencyToSetUp(Session& s, const std::string& agency_id,
                                              absl::string_view what) {
  ASSIGN_OR_RETURN(AgencyState agency, s.LoadMain<AgencyState>("agency_id", agency_id));
  RETURN_IF_ERROR(security::MaySetUpAgency(s.principal(), agency.area_id, agency_id, what));
  return agency;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::SetLeadershipLadderRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckCount("contacts", r.contacts_size(), 1, 3));
  std::set<int> levels;
  std::map<std::string, int> persons;  // person -> the contact that names them
  for (int i = 0; i < r.contacts_size(); ++i) {
    const std::string at = absl::StrCat("contacts[", i, "]");
    RETURN_IF_ERROR(
        CheckEnum(absl::StrCat(at, ".level"), r.contacts(i).level(), v1::LeadershipLevel_IsValid));
    if (!levels.insert(r.contacts(i).level()).second) {
      return Invalid(absl::StrCat(at, ".level"), "each level at most once");
    }
    RETURN_IF_ERROR(CheckPerson(absl::StrCat(at, ".person"), r.contacts(i).person()));
    // One person, one rung: a rung above answers for the one below it.
    if (const auto [it, added] = persons.emplace(r.contacts(i).person(), i); !added) {
      return Invalid(absl::StrCat(at, ".person"),
                     absl::StrCat(r.contacts(i).person(), " holds contacts[", it->second,
                                  "]'s rung already: one person holds one rung of a ladder"));
    }
    RETURN_IF_ERROR(
        CheckText(absl::StrCat(at, ".title"), r.contacts(i).title(), kMaxNameBytes, false));
  }
  ASSIGN_OR_RETURN(const AgencyState agency,
                   LoadAgencyToSetUp(s, r.agency_id(), "set this agency's leadership ladder"));
  const std::string area_id = agency.area_id;
  // The police have their own ladder, never a mayor; the others not the police's rungs.
  const bool police = agency.kind == v1::AGENCY_KIND_POLICE;
  for (int i = 0; i < r.contacts_size(); ++i) {
    const v1::LeadershipLevel level = r.contacts(i).level();
    const bool police_rung = level == v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR ||
                             level == v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF ||
                             level == v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR;
    RETURN_IF_ERROR(
        Rule(police == police_rung,
             absl::StrCat("contacts[", i, "].level: ", v1::LeadershipLevel_Name(level), " is ",
                          police ? "not a rung of the police's ladder (police coordinator, local "
                                   "police chief, police director; never a mayor)"
                                 : "a rung of the police's ladder only")));
  }
  v1::Event e;
  e.mutable_leadership_ladder_set()->set_agency_id(r.agency_id());
  *e.mutable_leadership_ladder_set()->mutable_contacts() = r.contacts();
  // An open escalation of the agency keeps a contact at the level it stands at: the ladder may
  // give that rung to another person (the escalation then goes to them), not drop it, which
  // would strand the escalation with nobody to answer it. Once it is resolved or moved up, the
  // level may go.
  AgencyState after = agency;
  Evolve(after, e);
  // One person, one rung: not a rung above the coordinator for the police coordinator an area
  // designated (review 13b, N2).
  if (police) {
    for (const std::string& served : agency.areas) {
      ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("contacts", served));
      const auto designated = area.police_coordinators.find(r.agency_id());
      if (designated == area.police_coordinators.end()) continue;
      const v1::LeadershipLevel above = PoliceRungAbove(after.ladder, designated->second);
      RETURN_IF_ERROR(Rule(
          above == v1::LEADERSHIP_LEVEL_UNSPECIFIED,
          absl::StrCat("contacts: ", designated->second, " is ", served,
                       "'s police coordinator and would hold the ", v1::LeadershipLevel_Name(above),
                       " rung too: one person holds one rung of the police's ladder")));
    }
  }
  for (const std::string& id : agency.escalations) {
    ASSIGN_OR_RETURN(const EscalationState escalation, s.Load<EscalationState>("contacts", id));
    if (escalation.resolved) continue;
    ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("contacts", escalation.area_id));
    const std::string now = ContactFor(area, agency, r.agency_id(), escalation.level);
    // Who answers at its level and above is changed only by those who answer there now (or an
    // admin of the agency's home area): not by a lower rung naming himself to answer it.
    const auto [holders, changed] =
        ChangedRungs(escalation, r.agency_id(), area, agency, area, after);
    if (!changed.empty()) {
      RETURN_IF_ERROR(security::MayChangeEscalatedRungs(
          c.principal, area_id, r.agency_id(), holders, "contacts",
          absl::StrCat("change the contact at ", changed, " while the escalation ", id,
                       " stands at ", v1::EscalationLevel_Name(escalation.level))));
    }
    RETURN_IF_ERROR(Rule(
        now.empty() || !ContactFor(area, after, r.agency_id(), escalation.level).empty(),
        absl::StrCat("contacts: the open escalation ", id, " of ", escalation.area_id,
                     " stands at ", v1::EscalationLevel_Name(escalation.level), " with ", now,
                     "; this ladder has no contact for that level and would strand it: keep "
                     "the level (another person may take it) until the escalation is resolved "
                     "or moved up")));
  }
  s.Emit(r.agency_id(), area_id, std::move(e));
  return s.Finish(r.agency_id());
}

// The agency's own register of its people: who speaks for it. Its own leaders name them, or an
// admin of its home area (as they set its ladder); not the chief, who records the meetings and
// would otherwise name who accepts commitments for the agency there.
absl::StatusOr<Decision> Decide(const v1::NameAgencyPeopleRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckCount("persons", r.persons_size(), 0, kMaxAgencyPeople));
  std::set<std::string> named;
  for (int i = 0; i < r.persons_size(); ++i) {
    const std::string at = absl::StrCat("persons[", i, "]");
    RETURN_IF_ERROR(CheckPerson(at, r.persons(i)));
    if (!named.insert(r.persons(i)).second) return Invalid(at, "each person at most once");
  }
  ASSIGN_OR_RETURN(const AgencyState agency,
                   LoadAgencyToSetUp(s, r.agency_id(), "name this agency's people"));
  v1::Event e;
  e.mutable_agency_people_named()->set_agency_id(r.agency_id());
  *e.mutable_agency_people_named()->mutable_persons() = r.persons();
  s.Emit(r.agency_id(), agency.area_id, std::move(e));
  return s.Finish(r.agency_id());
}

}  // namespace hotspot::domain
