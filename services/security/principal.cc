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
};

}  // namespace

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (const auto& [role, role_name] : kRoleNames) {
    if (name == role_name) return role;
  }
  return absl::InvalidArgumentError(absl::StrCat("role: unknown role \"", name, "\""));
}

absl::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unknown";
}

bool Principal::InArea(absl::string_view area) const {
  return std::find(areas.begin(), areas.end(), area) != areas.end();
}

}  // namespace hotspot::security
