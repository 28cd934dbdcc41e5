#include "services/security/principal.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hotspot::security {
namespace {

constexpr std::pair<Role, absl::string_view> kRoleNames[] = {
    {Role::kCoordinator, "coordinator"},
    {Role::kAgencyMember, "agency_member"},
    {Role::kAgencyLeader, "agency_leader"},
    {Role::kSocialCaseworker, "social_caseworker"},
    {Role::kAuditor, "auditor"},
    {Role::kIntegration, "integration"},
    {Role::kAdmin, "admin"},
    {Role::kSystem, "system"},
};

}  // namespace

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (const auto& [role, role_name] : kRoleNames) {
    if (name == role_name && role != Role::kSystem) return role;
  }
  if (name == RoleName(Role::kSystem)) {
    return absl::InvalidArgumentError("role: \"system\" is hotspotd's own; no token carries it");
  }
  return absl::InvalidArgumentError(absl::StrCat("role: unknown role \"", name, "\""));
}

absl::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unknown";
}

Principal SystemPrincipal() {
  Principal system;
  system.person = "system";
  system.role = Role::kSystem;
  return system;
}

bool Principal::InArea(absl::string_view area) const {
  return std::find(areas.begin(), areas.end(), area) != areas.end();
}

}  // namespace hotspot::security
