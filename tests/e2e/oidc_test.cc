// OIDC access tokens against a real hotspotd: a provider stood in for by an HTTPS server on
// loopback (tests/e2e/https_test_server.h, certificates made at run time by
// tests/tls/make_certs.sh) serving a discovery document and a JWKS, and tokens signed by the
// test's keys. Valid tokens call as the principal the claims map gives them, and their reads are
// logged as that person; expired, early, foreign, forged and unsigned tokens are refused; a
// rotated key is fetched without holding the call (UNAVAILABLE, then accepted on a retry), a
// made-up one fetched for once per interval; a provider
// whose certificate does not verify gives no keys; and the tokens file and the claims map are
// read again on SIGHUP.
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "services/security/jwt_testing.h"
#include "store/test_util.h"
#include "tests/e2e/command_client.h"
#include "tests/e2e/hotspotd_process.h"
#include "tests/e2e/https_test_server.h"

namespace hotspot::testing {
namespace {

using security::testing::TestKey;
using store::testing::TempDir;
using Json = nlohmann::json;

constexpr char kAudience[] = "api://hotspotd";
constexpr char kTenant[] = "/tenant-1/v2.0";
constexpr char kKeysPath[] = "/tenant-1/discovery/v2.0/keys";
constexpr char kDiscoveryPath[] = "/tenant-1/v2.0/.well-known/openid-configuration";
constexpr char kAnna[] = "anna.jensen@kommune.test";

std::unique_ptr<grpc::ClientContext> Context(const std::string& token,
                                             const std::string& purpose = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  if (!purpose.empty()) context->AddMetadata("purpose", purpose);
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  return context;
}

class OidcTest : public ::testing::Test {
 protected:
  // Keys made once: RSA keys take a while to make.
  static void SetUpTestSuite() {
    signing_ = new TestKey(TestKey::Rsa("key-1"));
    ec_ = new TestKey(TestKey::Ec("key-ec"));
    rotated_ = new TestKey(TestKey::Rsa("key-2"));
    stranger_ = new TestKey(TestKey::Rsa("key-1"));  // claims the published key's id
  }
  static void TearDownTestSuite() {
    for (TestKey* key : {signing_, ec_, rotated_, stranger_}) delete key;
  }

  void SetUp() override {
    const std::string pki = dir_.Sub("pki");
    const std::string command = absl::StrCat(MAKE_CERTS_PATH, " ", pki);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    ca_file_ = pki + "/ca.pem";
    absl::StatusOr<std::unique_ptr<HttpsTestServer>> provider =
        HttpsTestServer::Start(pki + "/server.pem", pki + "/server.key");
    ASSERT_TRUE(provider.ok()) << provider.status();
    provider_ = *std::move(provider);
    issuer_ = provider_->origin() + kTenant;
    provider_->Serve(kDiscoveryPath,
                     Json{{"issuer", issuer_}, {"jwks_uri", provider_->origin() + kKeysPath}}
                         .dump());
    provider_->Serve(kKeysPath, security::testing::Jwks({signing_, ec_}));

    tokens_ = WriteTokens(dir_.Sub("tokens"), {cast_.admin, cast_.auditor});
    WriteClaimsMap(/*with_admins=*/true);
  }

  // The claims map: the coordinators' and (`with_admins`) the admins' app roles, and the
  // case-records system's service principal by its subject.
  void WriteClaimsMap(bool with_admins) {
    std::ofstream map(dir_.Sub("claims-map.new"));
    map << "# app roles of hotspotd's registration -> principals\n"
        << "group:Hotspot.Coordinator * agency-hotspot-sjaelor coordinator " << scenario::kAreaId
        << "\n";
    if (with_admins) {
      map << "group:Hotspot.Admin * " << cast_.admin.agency << " admin " << scenario::kAreaId
          << "\n";
    }
    map << "sub:case-records-app " << cast_.integration.person << " "
        << cast_.integration.agency << " integration " << scenario::kAreaId << "\n";
    map.close();
    std::rename(dir_.Sub("claims-map.new").c_str(), dir_.Sub("claims-map").c_str());
  }

  // hotspotd trusting the provider (its certificate's CA, or `ca_file`), with the demo if `demo`.
  void Start(bool demo, const std::string& ca_file = "") {
    std::vector<std::string> flags = {"--deadline_interval_s=0",
                                      "--tokens_file=" + dir_.Sub("tokens"),
                                      "--oidc_issuer=" + issuer_,
                                      std::string("--oidc_audience=") + kAudience,
                                      "--oidc_ca_file=" + (ca_file.empty() ? ca_file_ : ca_file),
                                      "--oidc_claims_map_file=" + dir_.Sub("claims-map"),
                                      "--oidc_person_claim=preferred_username",
                                      "--oidc_groups_claim=roles"};
    if (demo) flags.push_back("--demo");
    absl::StatusOr<HotspotdProcess> started =
        HotspotdProcess::Start(HOTSPOTD_PATH, dir_.Sub("data"), flags);
    ASSERT_TRUE(started.ok()) << started.status();
    server_.emplace(*std::move(started));
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  }

  // Claims as the provider issues them for `subject`, valid for ten minutes from now.
  Json ClaimsOf(const std::string& subject, const std::string& person,
                const std::vector<std::string>& roles) const {
    Json claims = security::testing::Claims(issuer_, kAudience, subject);
    claims["preferred_username"] = person;
    claims["roles"] = roles;
    return claims;
  }
  Json Anna() const { return ClaimsOf("subject-anna", kAnna, {"Hotspot.Coordinator"}); }
  Json Admin() const { return ClaimsOf("subject-ib", "ib.it@kommune.test", {"Hotspot.Admin"}); }

  // AdminService.GetProjectionStatus as `token`'s bearer: only an admin may; the refusal of
  // anyone else names them (person, role and agency).
  grpc::Status Operate(const std::string& token) const {
    v1::GetProjectionStatusResponse response;
    return v1::AdminService::NewStub(channel_)->GetProjectionStatus(
        Context(token).get(), v1::GetProjectionStatusRequest(), &response);
  }

  // Operate's answer to `token`, whose key id `kid` hotspotd's keys do not hold, while it fetches
  // them again: UNAVAILABLE at once, naming the key id.
  void ExpectFetchedAgain(const std::string& token, const std::string& kid) const {
    const grpc::Status status = Operate(token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(status.error_message(),
              absl::StrCat("key ", kid,
                           " is unknown; the identity provider's signing keys are being fetched "
                           "again; retry"));
  }

  // Whether hotspotd's log tells of `fetches` key sets fetched (and in use), within 10 s.
  bool AwaitKeysFetched(int fetches) const {
    return WaitForLog(server_->log_file(), "event=oidc_keys_fetched", fetches);
  }

  // Operate's refusal of `token`: UNAUTHENTICATED, its message, which never quotes the token.
  std::string Refusal(const std::string& token) const {
    const grpc::Status status = Operate(token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
    for (absl::string_view part : absl::StrSplit(token, '.', absl::SkipEmpty())) {
      EXPECT_FALSE(absl::StrContains(status.error_message(), part)) << status.error_message();
    }
    return status.error_message();
  }

  static TestKey* signing_;
  static TestKey* ec_;
  static TestKey* rotated_;
  static TestKey* stranger_;
  TempDir dir_;
  scenario::Cast cast_ = scenario::SjaelorCast();
  std::string ca_file_;
  std::unique_ptr<HttpsTestServer> provider_;
  std::string issuer_;
  std::map<std::string, std::string> tokens_;  // the tokens file's, by person
  std::optional<HotspotdProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TestKey* OidcTest::signing_ = nullptr;
TestKey* OidcTest::ec_ = nullptr;
TestKey* OidcTest::rotated_ = nullptr;
TestKey* OidcTest::stranger_ = nullptr;

TEST_F(OidcTest, AValidTokenCallsAsItsMappedPrincipalAndItsReadsAreLoggedAsThatPerson) {
  ASSERT_NO_FATAL_FAILURE(Start(/*demo=*/true));
  const std::string anna = signing_->Sign(Anna());

  // Anna reads the area's cases, as the coordinator the claims map makes her (the views as of
  // the demo's last event, which the admin's JWT learns).
  v1::GetProjectionStatusResponse status;
  ASSERT_TRUE(v1::AdminService::NewStub(channel_)
                  ->GetProjectionStatus(Context(signing_->Sign(Admin())).get(),
                                        v1::GetProjectionStatusRequest(), &status)
                  .ok());
  uint64_t head = 0;
  for (const v1::ProjectionStatus& view : status.views()) head = std::max(head, view.head());
  v1::ListCasesRequest request;
  request.set_area_id(scenario::kAreaId);
  request.set_page_size(3);
  request.set_min_position(head);
  v1::ListCasesResponse cases;
  const grpc::Status listed = v1::QueryService::NewStub(channel_)->ListCases(
      Context(anna, "case_coordination: weekly case review").get(), request, &cases);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  ASSERT_GE(cases.cases_size(), 1);
  EXPECT_EQ(Operate(anna).error_message(),
            absl::StrCat(kAnna,
                         " (coordinator of agency-hotspot-sjaelor) may not operate the service: "
                         "only an admin"));

  // The access log names her as the token does.
  v1::ListAccessRecordsRequest records_request;
  records_request.set_youth_id(cases.cases(0).youth_id());
  records_request.set_page_size(500);
  v1::ListAccessRecordsResponse records;
  const grpc::Status read = v1::AuditService::NewStub(channel_)->ListAccessRecords(
      Context(tokens_.at(cast_.auditor.person), "audit").get(), records_request, &records);
  ASSERT_TRUE(read.ok()) << read.error_message();
  const v1::AccessRecord* anna_read = nullptr;
  for (const v1::AccessRecord& record : records.records()) {
    if (record.call() == "hotspot.v1.QueryService/ListCases") anna_read = &record;
  }
  ASSERT_NE(anna_read, nullptr);
  EXPECT_EQ(anna_read->person(), kAnna);
  EXPECT_EQ(anna_read->role(), "coordinator");
  EXPECT_EQ(anna_read->purpose_text().text(), "weekly case review");

  // An ES256 token of the case-records system's service principal, mapped by its subject.
  Json system = security::testing::Claims(issuer_, kAudience, "case-records-app");
  EXPECT_EQ(Operate(ec_->Sign(system)).error_message(),
            absl::StrCat(cast_.integration.person, " (integration of ", cast_.integration.agency,
                         ") may not operate the service: only an admin"));
  // The keys were fetched once, at the start, from the discovery document's jwks_uri.
  EXPECT_EQ(provider_->Requests(kDiscoveryPath), 1);
  EXPECT_EQ(provider_->Requests(kKeysPath), 1);
}

TEST_F(OidcTest, TokensThatDoNotVerifyOrMapToAPrincipalAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Start(/*demo=*/false));
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::vector<std::string> refused;
  auto refuse = [&](const std::string& token) {
    refused.push_back(token);
    return Refusal(token);
  };

  Json expired = Admin();
  expired["exp"] = now - 3600;
  EXPECT_TRUE(absl::StartsWith(refuse(signing_->Sign(expired)),
                               "the access token is refused: it expired at "));
  Json early = Admin();
  early["nbf"] = now + 3600;
  EXPECT_TRUE(absl::StartsWith(refuse(signing_->Sign(early)),
                               "the access token is refused: it is not valid before "));
  Json audience = Admin();
  audience["aud"] = "api://another-service";
  EXPECT_EQ(refuse(signing_->Sign(audience)),
            absl::StrCat("the access token is refused: its audience is not ", kAudience));
  Json issuer = Admin();
  issuer["iss"] = "https://login.example/other-tenant/v2.0";
  EXPECT_EQ(refuse(signing_->Sign(issuer)),
            absl::StrCat("the access token is refused: its issuer is "
                         "\"https://login.example/other-tenant/v2.0\", not ",
                         issuer_));
  EXPECT_EQ(refuse(stranger_->Sign(Admin())),
            "the access token is refused: its signature does not verify with key key-1");
  EXPECT_TRUE(absl::StartsWith(
      refuse(security::testing::ForgedJwt({{"alg", "none"}, {"kid", "key-1"}}, Admin())),
      "the access token is refused: its algorithm \"none\" is not accepted"));
  EXPECT_TRUE(absl::StartsWith(
      refuse(security::testing::Hs256Jwt("key-1", Admin(), signing_->PublicJwk().dump())),
      "the access token is refused: its algorithm \"HS256\" is not accepted"));

  // Verified, but the claims map knows none of it, or gives it two identities.
  EXPECT_EQ(refuse(signing_->Sign(ClaimsOf("subject-bo", "bo@kommune.test", {"Other.App"}))),
            "the token verifies but maps to no principal: oidc_claims_map_file lists neither "
            "its subject (sub:subject-bo) nor any of its groups (Other.App)");
  EXPECT_EQ(
      refuse(signing_->Sign(
          ClaimsOf("subject-bo", "bo@kommune.test", {"Hotspot.Coordinator", "Hotspot.Admin"}))),
      absl::StrCat("the token matches group:Hotspot.Coordinator (bo@kommune.test, coordinator "
                   "of agency-hotspot-sjaelor) and group:Hotspot.Admin (bo@kommune.test, admin "
                   "of ",
                   cast_.admin.agency, ") in oidc_claims_map_file: one token, one identity"));

  // None of them fetched the keys again, and hotspotd's log holds no part of any of them.
  EXPECT_EQ(provider_->Requests(kKeysPath), 1);
  const std::string log = ReadAll(server_->log_file());
  for (const std::string& token : refused) {
    for (absl::string_view part : absl::StrSplit(token, '.', absl::SkipEmpty())) {
      EXPECT_FALSE(absl::StrContains(log, part));
    }
  }
}

TEST_F(OidcTest, ARotatedKeyIsFetchedAndAccepted) {
  ASSERT_NO_FATAL_FAILURE(Start(/*demo=*/false));
  ASSERT_EQ(provider_->Requests(kKeysPath), 1);
  // The provider rolls its keys; a token of the new key has them fetched again, without waiting
  // for it, and is accepted on a retry once they are.
  provider_->Serve(kKeysPath, security::testing::Jwks({rotated_, ec_}));
  ExpectFetchedAgain(rotated_->Sign(Admin()), "key-2");
  ASSERT_TRUE(AwaitKeysFetched(2));
  const grpc::Status rotated = Operate(rotated_->Sign(Admin()));
  EXPECT_TRUE(rotated.ok()) << rotated.error_message();
  EXPECT_EQ(provider_->Requests(kKeysPath), 2);
  EXPECT_TRUE(Operate(rotated_->Sign(Admin())).ok());
  // The old key is gone; within the interval, its id fetches nothing.
  EXPECT_EQ(Refusal(signing_->Sign(Admin())),
            "the access token is refused: its key id key-1 is not among the provider's signing "
            "keys (fetched again for an unknown key id at most every 1m)");
  EXPECT_EQ(provider_->Requests(kKeysPath), 2);
  EXPECT_EQ(provider_->Requests(kDiscoveryPath), 1);
}

TEST_F(OidcTest, AKeyIdNeverPublishedIsRefusedAndFetchedForOncePerInterval) {
  ASSERT_NO_FATAL_FAILURE(Start(/*demo=*/false));
  ExpectFetchedAgain(signing_->Sign(Admin(), "made-up"), "made-up");
  ASSERT_TRUE(AwaitKeysFetched(2));
  // Fetched, and still unknown: refused.
  EXPECT_EQ(Refusal(signing_->Sign(Admin(), "made-up")),
            "the access token is refused: its key id made-up is not among the provider's "
            "signing keys (fetched again for an unknown key id at most every 1m)");
  EXPECT_EQ(provider_->Requests(kKeysPath), 2);
  // Another made-up id at once: refused without a fetch.
  EXPECT_EQ(Refusal(signing_->Sign(Admin(), "made-up-too")),
            "the access token is refused: its key id made-up-too is not among the provider's "
            "signing keys (fetched again for an unknown key id at most every 1m)");
  EXPECT_EQ(provider_->Requests(kKeysPath), 2);
  // The published key still verifies.
  EXPECT_TRUE(Operate(signing_->Sign(Admin())).ok());
}

TEST_F(OidcTest, AProviderWhoseCertificateDoesNotVerifyGivesNoKeys) {
  // hotspotd trusts another CA than the one that signed the provider's certificate.
  const std::string other = dir_.Sub("other");
  const std::string command = absl::StrCat(MAKE_CERTS_PATH, " ", other);
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  ASSERT_NO_FATAL_FAILURE(Start(/*demo=*/false, other + "/ca.pem"));
  const grpc::Status status = Operate(signing_->Sign(Admin()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(),
                               "the identity provider's signing keys could not be fetched"))
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "SSL certificate problem"))
      << status.error_message();
  // No request got past the handshake; the tokens file's tokens still work.
  EXPECT_EQ(provider_->Requests(kDiscoveryPath), 0);
  EXPECT_TRUE(Operate(tokens_.at(cast_.admin.person)).ok());
  EXPECT_TRUE(absl::StrContains(ReadAll(server_->log_file()), "event=oidc_keys_fetch_failed"));
}

TEST_F(OidcTest, TheTokensFileAndTheClaimsMapAreReadAgainOnSighup) {
  ASSERT_NO_FATAL_FAILURE(Start(/*demo=*/false));
  const std::string admin = tokens_.at(cast_.admin.person);
  ASSERT_TRUE(Operate(admin).ok());

  // A new tokens file: the auditor's new token works, the admin's removed one no longer does.
  const std::map<std::string, std::string> renewed =
      WriteTokens(dir_.Sub("tokens"), {cast_.auditor});
  WriteClaimsMap(/*with_admins=*/false);
  server_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(server_->log_file(), "event=reloaded file=tokens_file", 1));
  ASSERT_TRUE(WaitForLog(server_->log_file(), "event=reloaded file=oidc_claims_map_file", 1));
  EXPECT_EQ(Operate(renewed.at(cast_.auditor.person)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // known, and not an admin
  EXPECT_EQ(Refusal(admin), "unknown bearer token");
  // The claims map lost the admins' app role.
  EXPECT_EQ(Refusal(signing_->Sign(Admin())),
            "the token verifies but maps to no principal: oidc_claims_map_file lists neither "
            "its subject (sub:subject-ib) nor any of its groups (Hotspot.Admin)");

  // A broken tokens file is refused, and the one in use stays.
  std::ofstream(dir_.Sub("tokens")) << "not a tokens line\n";
  server_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(server_->log_file(), "event=reload_failed file=tokens_file", 1));
  EXPECT_TRUE(WaitForLog(server_->log_file(), "line 1: want <sha256> <person>", 1));
  EXPECT_EQ(Operate(renewed.at(cast_.auditor.person)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Refusal(admin), "unknown bearer token");
}

}  // namespace
}  // namespace hotspot::testing
