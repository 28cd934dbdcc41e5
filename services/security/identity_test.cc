#include "services/security/identity.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/security/policy.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::TempDir;

std::vector<Principal> DemoPrincipals() {
  return {
      {"chief-anna", "agency-hotspot-sjaelor", Role::kCoordinator, {"area-sjaelor"}},
      {"teacher-bo", "agency-school-sjaelor", Role::kAgencyMember, {"area-sjaelor"}},
      {"caseworker-eva", "agency-social", Role::kSocialCaseworker, {"area-sjaelor", "area-akacie"}},
      {"dpo-karen", "agency-dpo", Role::kAuditor, {}},  // "-": no area
  };
}

TEST(IdentityTest, DevTokensAuthenticateAsTheirPrincipals) {
  TempDir dir;
  const std::string path = dir.Sub("tokens");
  absl::StatusOr<std::vector<std::string>> tokens = WriteDevTokens(path, DemoPrincipals());
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 4u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  absl::StatusOr<Authenticator> auth = Authenticator::Load(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->size(), 4u);
  for (size_t i = 0; i < tokens->size(); ++i) {
    absl::StatusOr<Principal> p = auth->Authenticate((*tokens)[i]);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->person, DemoPrincipals()[i].person);
    EXPECT_EQ(p->agency, DemoPrincipals()[i].agency);
    EXPECT_EQ(p->role, DemoPrincipals()[i].role);
    EXPECT_EQ(p->areas, DemoPrincipals()[i].areas);
  }
  EXPECT_TRUE(auth->Authenticate((*tokens)[2])->InArea("area-akacie"));
  EXPECT_FALSE(auth->Authenticate((*tokens)[0])->InArea("area-akacie"));
  // The file holds hashes, not tokens.
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& token : *tokens) EXPECT_EQ(text.find(token), std::string::npos);
}

TEST(IdentityTest, UnknownAndEmptyTokensAreUnauthenticated) {
  absl::StatusOr<Authenticator> auth =
      Authenticator::Parse(absl::StrCat(std::string(64, 'a'), " p a coordinator area-1\n"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->Authenticate("guess").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth->Authenticate("").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(IdentityTest, MalformedFilesNameTheLine) {
  const std::string hash(64, 'a');
  struct Case {
    std::string text;
    std::string says;
  };
  const Case cases[] = {
      {"# comment\n\nshort p a coordinator area\n", "line 3: the token hash"},
      {absl::StrCat(hash, " p a coordinator\n"), "line 1: want"},
      {absl::StrCat(hash, " p a chief area\n"), "line 1: role: unknown role \"chief\""},
      {absl::StrCat(hash, " p a coordinator x\n", hash, " q b auditor y\n"), "line 2: this token"},
      {absl::StrCat(std::string(64, 'A'), " p a coordinator x\n"), "line 1: the token hash"},
      // The system's role is hotspotd's own (its deadline process): no token carries it.
      {absl::StrCat(hash, " system - system area\n"), "line 1: role: \"system\" is hotspotd's"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Authenticator> auth = Authenticator::Parse(c.text);
    EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(auth.status().message().find(c.says), absl::string_view::npos) << auth.status();
  }
  EXPECT_EQ(Authenticator::Load("/nonexistent/tokens").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(IdentityTest, AdmissionIsThePolicysAdmit) {
  Authenticator auth = *Authenticator::Parse("");
  Principal caseworker = DemoPrincipals()[2];
  EXPECT_TRUE(auth.Admit(caseworker).ok());  // no admission set: admitted as it is
  EXPECT_EQ(caseworker.agency_kind, v1::AGENCY_KIND_UNSPECIFIED);
  // The admission hotspotd sets, with the agencies the log would give.
  int lookups = 0;
  auth.set_admission([&lookups](Principal& who) {
    return Admit(who, [&lookups](absl::string_view agency) -> absl::StatusOr<AgencyFacts> {
      ++lookups;
      if (agency == "agency-social") {
        return AgencyFacts{"agency-social", v1::AGENCY_KIND_SOCIAL_ADMINISTRATION, false};
      }
      if (agency == "agency-broken") return absl::UnavailableError("the log is closed");
      return AgencyFacts{std::string(agency), v1::AGENCY_KIND_SCHOOL, agency == "agency-free"};
    });
  });
  EXPECT_TRUE(auth.Admit(caseworker).ok());
  EXPECT_EQ(caseworker.agency_kind, v1::AGENCY_KIND_SOCIAL_ADMINISTRATION);
  Principal teacher = DemoPrincipals()[1];
  EXPECT_TRUE(auth.Admit(teacher).ok());  // a teacher holds a member's role
  EXPECT_EQ(teacher.agency_kind, v1::AGENCY_KIND_SCHOOL);
  EXPECT_FALSE(teacher.self_governing_institution);
  teacher.agency = "agency-free";
  EXPECT_TRUE(auth.Admit(teacher).ok());
  EXPECT_TRUE(teacher.self_governing_institution);
  EXPECT_EQ(lookups, 3);
  // Auditors, integrations and admins act for no agency: not looked up.
  Principal auditor{"auditor-ib", "agency-broken", Role::kAuditor, {}};
  EXPECT_TRUE(auth.Admit(auditor).ok());
  EXPECT_EQ(lookups, 3);
  EXPECT_EQ(auditor.agency_kind, v1::AGENCY_KIND_UNSPECIFIED);
  Principal broken = teacher;
  broken.agency = "agency-broken";
  EXPECT_EQ(auth.Admit(broken).code(), absl::StatusCode::kUnavailable);
  Principal misfiled = caseworker;
  misfiled.agency = "agency-school-sjaelor";
  const absl::Status refused = auth.Admit(misfiled);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "caseworker-eva: the role social_caseworker is a social administration's, and "
            "agency-school-sjaelor is registered as AGENCY_KIND_SCHOOL");
  EXPECT_EQ(MayHoldRole(misfiled, v1::AGENCY_KIND_UNSPECIFIED).message(),
            "caseworker-eva: the role social_caseworker is a social administration's, and "
            "agency-school-sjaelor is not a registered agency");
}

TEST(IdentityTest, BearerHeader) {
  EXPECT_EQ(*BearerToken("Bearer abc123"), "abc123");
  EXPECT_EQ(*BearerToken("bearer   abc123 "), "abc123");
  EXPECT_EQ(BearerToken("Basic abc").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(BearerToken("Bearer ").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(BearerToken("").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(IdentityTest, RoleNamesRoundTrip) {
  for (Role r : {Role::kCoordinator, Role::kAgencyMember, Role::kAgencyLeader,
                 Role::kSocialCaseworker, Role::kAuditor, Role::kIntegration, Role::kAdmin}) {
    EXPECT_EQ(*ParseRole(RoleName(r)), r);
  }
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_EQ(RoleName(Role::kSystem), "system");
  EXPECT_FALSE(ParseRole("system").ok());
  EXPECT_EQ(SystemPrincipal().role, Role::kSystem);
}

}  // namespace
}  // namespace hotspot::security
