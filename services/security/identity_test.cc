#include "services/security/identity.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <memory>

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

struct Case {
  std::string text;
  std::string says;
};

TEST(IdentityTest, MalformedFilesNameTheLine) {
  const std::string hash(64, 'a');
  const Case cases[] = {
      {"# comment\n\nshort p a coordinator area\n", "line 3: the token hash"},
      {absl::StrCat(hash, " p a coordinator\n"), "line 1: want"},
      {absl::StrCat(hash, " p a chief area\n"), "line 1: role: unknown role \"chief\""},
      {absl::StrCat(hash, " p a coordinator x\n", hash, " q b auditor y\n"), "line 2: this token"},
      {absl::StrCat(std::string(64, 'A'), " p a coordinator x\n"), "line 1: the token hash"},
      // The system's role is hotspotd's own (its deadline process): no token carries it.
      {absl::StrCat(hash, " system - system area\n"), "line 1: role: \"system\" is hotspotd's"},
      // A person no command could name: a '/', an invisible or a bidirectional character.
      {absl::StrCat(hash, " ole/admin a coordinator x\n"), "line 1: the person must be"},
      {absl::StrCat(hash, " o\u200Ble a coordinator x\n"), "line 1: the person must be"},
      {absl::StrCat(hash, " ole\u202Eadmin a coordinator x\n"), "line 1: the person must be"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Authenticator> auth = Authenticator::Parse(c.text);
    EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(auth.status().message().find(c.says), absl::string_view::npos) << auth.status();
  }
  // A person as commands name people: UTF-8 will do.
  absl::StatusOr<Authenticator> soren =
      Authenticator::Parse(absl::StrCat(hash, " s\u00f8ren@kommune.test a coordinator x\n"));
  ASSERT_TRUE(soren.ok()) << soren.status();
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

constexpr char kMap[] =
    "# client certificates\n"
    "cn:system-case-records system-case-records agency-social integration area-sjaelor\n"
    "uri:spiffe://kommune.test/case-records system-case-records agency-social integration "
    "area-sjaelor\n"
    "dns:school.kommune.test school-system agency-school-sjaelor integration area-sjaelor\n"
    "email:ops@kommune.test it-ops agency-hotspot-sjaelor admin area-sjaelor,area-akacie\n";

TEST(CertificateMapTest, EachKindOfNameMapsToItsPrincipal) {
  absl::StatusOr<CertificateMap> map = CertificateMap::Parse(kMap);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->size(), 4u);
  PeerCertificate by_cn{"system-case-records", {}, {}, {}};
  EXPECT_EQ(map->Lookup(by_cn)->person, "system-case-records");
  EXPECT_EQ(map->Lookup(by_cn)->role, Role::kIntegration);
  // Its CN and its URI name the same principal: one principal.
  PeerCertificate both{"system-case-records", {}, {"spiffe://kommune.test/case-records"}, {}};
  EXPECT_EQ(map->Lookup(both)->agency, "agency-social");
  PeerCertificate by_dns{"unlisted", {"other.test", "school.kommune.test"}, {}, {}};
  EXPECT_EQ(map->Lookup(by_dns)->person, "school-system");
  PeerCertificate by_email{"", {}, {}, {"ops@kommune.test"}};
  EXPECT_EQ(map->Lookup(by_email)->areas,
            (std::vector<std::string>{"area-sjaelor", "area-akacie"}));
  // Names are compared exactly, and a CN does not match a DNS line.
  for (const PeerCertificate& stranger :
       {PeerCertificate{"System-Case-Records", {}, {}, {}},
        PeerCertificate{"school.kommune.test", {}, {}, {}}, PeerCertificate{}}) {
    EXPECT_EQ(map->Lookup(stranger).status().code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(map->Lookup(PeerCertificate{}).status().message(),
            "the client certificate (with no name) is not in tls_client_map_file, and no bearer "
            "token was sent");
  // Names of two principals: neither.
  PeerCertificate two{"system-case-records", {"school.kommune.test"}, {}, {}};
  EXPECT_EQ(map->Lookup(two).status().message(),
            "the client certificate's names map to two principals (system-case-records and "
            "school-system) in tls_client_map_file");
}

// Each case's text is refused by Map::Parse (INVALID_ARGUMENT saying what the case says), and a
// missing file by Map::Load (NOT_FOUND naming `flag`).
template <typename Map, size_t N>
void ExpectRefused(const Case (&cases)[N], absl::string_view flag) {
  for (const Case& c : cases) {
    absl::StatusOr<Map> map = Map::Parse(c.text);
    EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(map.status().message().find(c.says), absl::string_view::npos) << map.status();
  }
  const absl::Status missing = Map::Load("/nonexistent/map").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), absl::StrCat(flag, ": cannot read /nonexistent/map"));
}

TEST(CertificateMapTest, MalformedMapsNameTheLine) {
  const Case cases[] = {
      {"cn:a p a integration x\ncn:a q a integration x\n", "line 2: this match is listed twice"},
      {"CN:a p a integration x\n", "line 1: the match must be cn:"},
      {"cn: p a integration x\n", "line 1: the match must be cn:"},
      {"cn:a p a integration\n", "line 1: want <match> <person>"},
      {"cn:a p a system x\n", "line 1: role: \"system\" is hotspotd's"},
  };
  ExpectRefused<CertificateMap>(cases, "tls_client_map_file");
}

TEST(IdentifyTest, ATokenACertificateOrBothWhenTheyAgree) {
  TempDir dir;
  const Principal integration{
      "system-case-records", "agency-social", Role::kIntegration, {"area-sjaelor"}};
  std::vector<Principal> people = DemoPrincipals();
  people.push_back(integration);
  absl::StatusOr<std::vector<std::string>> tokens = WriteDevTokens(dir.Sub("tokens"), people);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  const std::string& chief = (*tokens)[0];
  const std::string& integration_token = tokens->back();
  Authenticator auth = *Authenticator::Load(dir.Sub("tokens"));
  const PeerCertificate mapped{"system-case-records", {}, {}, {}};
  const PeerCertificate unmapped{"operator-workstation", {}, {}, {}};

  // Without a certificate map no certificate is anyone.
  EXPECT_EQ(auth.Identify(std::nullopt, &mapped).status().code(),
            absl::StatusCode::kUnauthenticated);
  auth.set_certificates(*CertificateMap::Parse(kMap));

  EXPECT_EQ(auth.Identify(chief, nullptr)->person, "chief-anna");
  EXPECT_EQ(auth.Identify(std::nullopt, &mapped)->person, "system-case-records");
  // Both, the same principal.
  EXPECT_EQ(auth.Identify(integration_token, &mapped)->person, "system-case-records");
  // Both, two principals: refused, not one of them.
  const absl::Status two = auth.Identify(chief, &mapped).status();
  EXPECT_EQ(two.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(two.message(),
            "the bearer token is chief-anna's and the client certificate system-case-records's: "
            "send one identity (the token, or the certificate alone)");
  // A certificate the map does not list: the token decides; alone, it is no one.
  EXPECT_EQ(auth.Identify(chief, &unmapped)->person, "chief-anna");
  EXPECT_EQ(auth.Identify(std::nullopt, &unmapped).status().code(),
            absl::StatusCode::kUnauthenticated);
  // An unknown token is refused whatever the certificate.
  EXPECT_EQ(auth.Identify("guess", &mapped).status().message(), "unknown bearer token");
  const absl::Status nothing = auth.Identify(std::nullopt, nullptr).status();
  EXPECT_EQ(nothing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(nothing.message(), "no authorization header: send \"Bearer <token>\"");
}

constexpr char kClaimsMap[] =
    "# app roles -> principals\n"
    "group:Hotspot.Coordinator * agency-hotspot-sjaelor coordinator area-sjaelor\n"
    "group:Hotspot.Coordinator.Akacie * agency-hotspot-sjaelor coordinator area-akacie\n"
    "group:Hotspot.Auditor * agency-municipality auditor area-sjaelor\n"
    "sub:case-records-app system-case-records agency-social integration area-sjaelor\n"
    "sub:subject-ops * agency-municipality auditor area-akacie\n";

TEST(ClaimsMapTest, ASubjectAndItsGroupsMapToOnePrincipal) {
  absl::StatusOr<ClaimsMap> map = ClaimsMap::Parse(kClaimsMap);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->size(), 5u);
  // A group gives agency, role and areas; the person is the token's.
  absl::StatusOr<Principal> anna =
      map->Lookup({"subject-anna", "anna@kommune.test", {"Other.App", "Hotspot.Coordinator"}});
  ASSERT_TRUE(anna.ok()) << anna.status();
  EXPECT_EQ(anna->person, "anna@kommune.test");
  EXPECT_EQ(anna->agency, "agency-hotspot-sjaelor");
  EXPECT_EQ(anna->role, Role::kCoordinator);
  EXPECT_EQ(anna->areas, std::vector<std::string>{"area-sjaelor"});
  // Two groups of one agency and role: their areas add up.
  EXPECT_EQ(map->Lookup({"subject-anna", "anna@kommune.test",
                         {"Hotspot.Coordinator", "Hotspot.Coordinator.Akacie"}})
                ->areas,
            (std::vector<std::string>{"area-sjaelor", "area-akacie"}));
  // A subject line: its own person, whatever the token says.
  absl::StatusOr<Principal> system = map->Lookup({"case-records-app", "", {}});
  ASSERT_TRUE(system.ok()) << system.status();
  EXPECT_EQ(system->person, "system-case-records");
  EXPECT_EQ(system->role, Role::kIntegration);
  // A subject line and a group that agree add up too.
  EXPECT_EQ(map->Lookup({"subject-ops", "ops@kommune.test", {"Hotspot.Auditor"}})->areas,
            (std::vector<std::string>{"area-akacie", "area-sjaelor"}));

  // Lines that disagree: neither.
  const absl::Status two =
      map->Lookup({"subject-anna", "anna@kommune.test", {"Hotspot.Coordinator", "Hotspot.Auditor"}})
          .status();
  EXPECT_EQ(two.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(two.message(),
            "the token matches group:Hotspot.Coordinator (anna@kommune.test, coordinator of "
            "agency-hotspot-sjaelor) and group:Hotspot.Auditor (anna@kommune.test, auditor of "
            "agency-municipality) in oidc_claims_map_file: one token, one identity");
  // The token's claims are its issuer's choice: quoted escaped, no escape code reaches a log.
  const absl::Status forged = map->Lookup({"x\x1b[2J\u202e", "bo@kommune.test", {}}).status();
  EXPECT_EQ(forged.message().find('\x1b'), absl::string_view::npos) << forged;
  EXPECT_NE(forged.message().find("sub:x\\x1b[2J\\u202e"), absl::string_view::npos) << forged;
  const absl::Status none = map->Lookup({"subject-bo", "bo@kommune.test", {}}).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(none.message(),
            "the token verifies but maps to no principal: oidc_claims_map_file lists neither its "
            "subject (sub:subject-bo) nor any of its groups (it has none)");
  // Groups the provider left out: said so, and a subject line still maps the token.
  TokenClaims overage{"subject-bo", "bo@kommune.test", {}};
  overage.groups_left_out = true;
  EXPECT_EQ(map->Lookup(overage).status().message(),
            "the token verifies but maps to no principal: oidc_claims_map_file lists neither its "
            "subject (sub:subject-bo) nor any of its groups (the provider left them out of the "
            "token: group overage, see _claim_names; map app roles instead)");
  overage.subject = "case-records-app";
  EXPECT_EQ(map->Lookup(overage)->person, "system-case-records");
  // "*" needs a person the token names, fit to be an actor.
  for (const std::string& person : {std::string(""), std::string("anna jensen"),
                                    std::string("anna\x1b[31m"), std::string("anna\u202Eadmin"),
                                    std::string(129, 'a')}) {
    const absl::Status unusable =
        map->Lookup({"subject-anna", person, {"Hotspot.Coordinator"}}).status();
    EXPECT_EQ(unusable.code(), absl::StatusCode::kUnauthenticated) << person;
    EXPECT_NE(unusable.message().find("names no usable person"), absl::string_view::npos);
  }
  EXPECT_EQ(map->Lookup({"subject-soren", "s\u00f8ren@kommune.test", {"Hotspot.Coordinator"}})
                ->person,
            "s\u00f8ren@kommune.test");
}

TEST(ClaimsMapTest, MalformedMapsAreRefused) {
  const Case cases[] = {
      {"group:a anna a coordinator x\n", "group:a: a group's person must be *"},
      {"role:a * a coordinator x\n", "line 1: the match must be group:<value> or sub:<subject>"},
      {"group: * a coordinator x\n", "line 1: the match must be group:"},
      {"group:a * a system x\n", "line 1: role: \"system\" is hotspotd's"},
      {"sub:a p a admin x\nsub:a q a admin x\n", "line 2: this match is listed twice"},
  };
  ExpectRefused<ClaimsMap>(cases, "oidc_claims_map_file");
}

// A verifier that accepts the tokens it was given, with their claims.
class FakeVerifier final : public TokenVerifier {
 public:
  explicit FakeVerifier(std::map<std::string, TokenClaims> tokens) : tokens_(std::move(tokens)) {}
  absl::StatusOr<TokenClaims> Verify(absl::string_view token) const override {
    auto it = tokens_.find(std::string(token));
    if (it == tokens_.end()) return absl::UnauthenticatedError("the access token is refused");
    return it->second;
  }

 private:
  std::map<std::string, TokenClaims> tokens_;
};

TEST(IdentifyTest, AJwtGoesToTheVerifierAndTheClaimsMap) {
  TempDir dir;
  absl::StatusOr<std::vector<std::string>> tokens =
      WriteDevTokens(dir.Sub("tokens"), DemoPrincipals());
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  Authenticator auth = *Authenticator::Load(dir.Sub("tokens"));
  const std::string anna_jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2ln";
  const std::string system_jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXMifQ.c2ln";
  EXPECT_EQ(auth.Authenticate(anna_jwt).status().message(),
            "the bearer token is a JWT, and this hotspotd accepts none (no --oidc_issuer)");

  auth.set_jwt(std::make_shared<FakeVerifier>(std::map<std::string, TokenClaims>{
                   {anna_jwt, {"subject-anna", "anna@kommune.test", {"Hotspot.Coordinator"}}},
                   {system_jwt, {"case-records-app", "", {}}}}),
               *ClaimsMap::Parse(kClaimsMap));
  auth.set_certificates(*CertificateMap::Parse(kMap));
  EXPECT_EQ(auth.Identify(anna_jwt, nullptr)->person, "anna@kommune.test");
  EXPECT_EQ(auth.Authenticate("eyJ.eyJ.forged").status().message(), "the access token is refused");
  // The tokens file still answers for its tokens.
  EXPECT_EQ(auth.Identify((*tokens)[0], nullptr)->person, "chief-anna");
  // With a client certificate: one identity, as for the tokens file's tokens.
  const PeerCertificate system_certificate{"system-case-records", {}, {}, {}};
  EXPECT_EQ(auth.Identify(system_jwt, &system_certificate)->person, "system-case-records");
  EXPECT_EQ(auth.Identify(anna_jwt, &system_certificate).status().message(),
            "the bearer token is anna@kommune.test's and the client certificate "
            "system-case-records's: send one identity (the token, or the certificate alone)");
}

TEST(AuthenticatorTest, ReloadReplacesAFileWholeOrKeepsTheOneInUse) {
  TempDir dir;
  const std::string path = dir.Sub("tokens");
  const std::vector<Principal> people = DemoPrincipals();
  const std::vector<std::string> before = *WriteDevTokens(path, {people[0], people[1]});
  Authenticator auth = *Authenticator::Load(path);
  const std::vector<std::string> after = *WriteDevTokens(path, {people[2]});
  ASSERT_TRUE(auth.ReloadTokens(path).ok());
  EXPECT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth.Authenticate(after[0])->person, "caseworker-eva");
  EXPECT_EQ(auth.Authenticate(before[0]).status().message(), "unknown bearer token");

  std::ofstream(path) << "one two three\n";
  const absl::Status broken = auth.ReloadTokens(path);
  EXPECT_EQ(broken.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(broken.message(), absl::StrCat("tokens_file ", path,
                                           ": line 1: want <sha256> <person> <agency> <role> "
                                           "<areas>"));
  EXPECT_EQ(auth.Authenticate(after[0])->person, "caseworker-eva");
  EXPECT_EQ(auth.ReloadTokens(dir.Sub("missing")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(auth.size(), 1u);

  // The certificate map and the claims map likewise.
  const PeerCertificate ops{"", {}, {}, {"ops@kommune.test"}};
  std::ofstream(dir.Sub("map")) << kMap;
  ASSERT_TRUE(auth.ReloadCertificates(dir.Sub("map")).ok());
  EXPECT_EQ(auth.Identify(std::nullopt, &ops)->person, "it-ops");
  std::ofstream(dir.Sub("map")) << "cn:x\n";
  EXPECT_EQ(auth.ReloadCertificates(dir.Sub("map")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(auth.Identify(std::nullopt, &ops)->person, "it-ops");
  std::ofstream(dir.Sub("claims")) << "group:a anna a coordinator x\n";
  EXPECT_EQ(auth.ReloadClaims(dir.Sub("claims")).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hotspot::security
