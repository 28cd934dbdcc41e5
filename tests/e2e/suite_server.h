// SuiteServer: a hotspotd for a test suite, with a tokens file for the demo's people, for a
// coordinator of another area (the stranger) and for an auditor of every area (the dpo), and a
// command client holding their tokens.
#ifndef HOTSPOT_TESTS_E2E_SUITE_SERVER_H_
#define HOTSPOT_TESTS_E2E_SUITE_SERVER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "hotspot/v1/admin_service.pb.h"
#include "hotspot/v1/stored_event.pb.h"
#include "hotspot/v1/subscription_service.pb.h"
#include "services/scenario/scenario.h"
#include "store/test_util.h"
#include "tests/e2e/command_client.h"
#include "tests/e2e/hotspotd_process.h"

namespace hotspot::testing {

security::Principal Founder();

struct SuiteServer {
  store::testing::TempDir dir;
  scenario::Cast cast = scenario::SjaelorCast();
  security::Principal stranger{
      "chief-elsewhere", "agency-hotspot-other", security::Role::kCoordinator, {"area-elsewhere"}};
  // An admin of areas that do not exist yet ("area-new-1" to "area-new-60"), for the tests
  // that establish an area and set it up from scratch (a programme is adopted once per area).
  security::Principal founder = Founder();
  // An auditor of every area, the municipality's data-protection officer: its token lists no
  // area (the demo's auditor is bound to Sjælør). It lists the access records tests check.
  security::Principal dpo{"auditor-dpo", "agency-dpo-copenhagen", security::Role::kAuditor, {}};
  std::map<std::string, std::string> tokens;  // person -> token
  std::optional<HotspotdProcess> process;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<CommandClient> commands;
  std::string binary;
  std::vector<std::string> flags;  // as started, with the tokens file

  // Stops hotspotd (SIGKILL if `kill`, else SIGTERM) and starts it again on the same data with
  // the same flags; the channel and the command client are made anew.
  absl::Status Restart(bool kill);
  absl::Status Start();  // with `binary` and `flags`

  // The log's head as the views know it (AdminService.GetProjectionStatus, as the admin): pass
  // it as min_position to read what hotspotd held when it was asked. 0 on an error.
  uint64_t Head() const;

  // The deadline process's status once it has run a pass (its first runs at start): asks
  // AdminService.GetProjectionStatus as the admin until `passes` is above 0. DEADLINE_EXCEEDED if
  // none came within `timeout`, INTERNAL with its last error if its passes fail; the call's
  // error if one fails.
  absl::StatusOr<v1::GetProjectionStatusResponse> AwaitDeadlinePass(
      absl::Duration timeout = absl::Seconds(60)) const;

  // Waits until the views have reached `position` (a ListBodies of the demo's area by its chief,
  // who may pass any position up to the log's head as min_position): then a reader who is told
  // only the public head (security::PublicHead) reads them with no min_position.
  absl::Status WaitForViews(uint64_t position) const;

  // A youth's whole history (AuditService.GetCaseHistory) as `who` reads it, at least up to
  // `min_position`; the call's error if it fails.
  absl::StatusOr<std::vector<v1::StoredEvent>> History(const security::Principal& who,
                                                       const std::string& youth,
                                                       uint64_t min_position = 0) const;

  // The first response of a subscription as `who` (cancelled once it came, or empty if none
  // did), and the call's status: CANCELLED after a first response, else the error.
  std::pair<v1::SubscribeResponse, grpc::Status> FirstResponse(
      const security::Principal& who, const v1::SubscribeRequest& request,
      const std::string& purpose = "") const;

  // A call context as `who` (its bearer token), with a read's purpose ("" sends none) and a
  // deadline.
  std::unique_ptr<grpc::ClientContext> As(
      const security::Principal& who, const std::string& purpose = "case_coordination: case review",
      absl::Duration deadline = absl::Seconds(20)) const;
};

// Starts `binary` with a tokens file and `flags`; `extra` people get tokens too.
absl::StatusOr<std::unique_ptr<SuiteServer>> StartSuiteServer(
    const std::string& binary, std::vector<std::string> flags,
    const std::vector<security::Principal>& extra = {});

}  // namespace hotspot::testing

#endif  // HOTSPOT_TESTS_E2E_SUITE_SERVER_H_
