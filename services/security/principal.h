// Principal: who is calling. Identity maps a bearer token to one (identity.h); the policy
// (policy.h) answers what it may do, for the domain's decide functions and the read side alike;
// it becomes the actor of the events a command appends. Part of the policy library
// (hotspot_policy), below the domain.
#ifndef HOTSPOT_SERVICES_SECURITY_PRINCIPAL_H_
#define HOTSPOT_SERVICES_SECURITY_PRINCIPAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotspot/v1/types.pb.h"

namespace hotspot::security {

enum class Role {
  kCoordinator,       // the hotspot chief and staff
  kAgencyMember,      // a practitioner of an agency
  kAgencyLeader,      // an agency's management: receives escalations
  kSocialCaseworker,  // the social administration's caseworkers: social assessments
  kAuditor,           // reads histories and access logs
  kIntegration,       // another municipal system
  kAdmin,             // operates the service
  // hotspotd itself: the deadline process's time-driven facts. No token carries it (ParseRole
  // refuses its name); only SystemPrincipal() holds it.
  kSystem,
};

// "coordinator", "agency_member", ...; INVALID_ARGUMENT for anything else, "system" included
// (a tokens file cannot name the system's role).
absl::StatusOr<Role> ParseRole(absl::string_view name);
// The role's name, "system" for kSystem.
absl::string_view RoleName(Role role);

// What the policy needs to know of an agency.
struct AgencyFacts {
  std::string agency_id;
  v1::AgencyKind kind = v1::AGENCY_KIND_UNSPECIFIED;  // UNSPECIFIED: not registered
  bool self_governing_institution = false;            // joined the § 115 exchange under stk. 3
};

struct Principal {
  std::string person;  // e.g. "chief-anna": the event actor
  std::string agency;  // e.g. "agency-hotspot-sjaelor"
  Role role = Role::kAgencyMember;
  std::vector<std::string> areas;  // e.g. {"area-sjaelor"}
  // The agency as the log registers it, filled in when the caller is admitted
  // (Authenticator::Admit); until then, and for an agency not registered, UNSPECIFIED.
  v1::AgencyKind agency_kind = v1::AGENCY_KIND_UNSPECIFIED;
  bool self_governing_institution = false;

  bool InArea(absl::string_view area) const;
  // The caller's agency, for the policy's questions of sharing and receiving.
  AgencyFacts Agency() const { return {agency, agency_kind, self_governing_institution}; }
};

// hotspotd itself, for the system's commands: person "system", no agency, no area, role kSystem.
Principal SystemPrincipal();

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_PRINCIPAL_H_
