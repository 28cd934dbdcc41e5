// Every command of CommandService as a valid request on fresh aggregates, with the builders
// that make those aggregates (a referred or accepted youth, a held meeting, a commitment, an
// escalation, an erasure request, a child-welfare notification, ...), one caller each command is
// for and one it is not for, and a field that makes it malformed. Shared by EveryCommandTest
// (success, idempotent retry, refusals, malformed input) and the authorization matrix (every
// command by every caller).
//
// The builders act on the suite server bound with Bind(), over gRPC as the Sjaelor cast: one
// server per test process (ctest runs each test case in its own). Not thread-safe, except that
// the sequence behind NextId() is atomic.
#ifndef HOTSPOT_TESTS_E2E_COMMAND_CASES_H_
#define HOTSPOT_TESTS_E2E_COMMAND_CASES_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"
#include "hotspot/v1/command_service.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/command_client.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {

inline constexpr const char* kArea = scenario::kAreaId;
inline constexpr const char* kSchool = "agency-school-sjaelor";
inline constexpr const char* kPolice = "agency-police-copenhagen";
inline constexpr const char* kSocial = "agency-social-copenhagen";

// The date `days` from today (UTC).
v1::Date InDays(int days);

// How to make a request malformed.
enum class Bad { kClear, kTooLong, kBadId, kBadEnum };

// Makes `field` of `m` malformed as `how` says.
void Malform(google::protobuf::Message* m, const std::string& field, Bad how);

struct CommandCase {
  std::string name;                                                  // the RPC
  std::function<std::unique_ptr<google::protobuf::Message>()> make;  // valid, on fresh aggregates
  std::function<const security::Principal&()> allowed;
  std::function<const security::Principal&()> denied;
  std::string bad_field;
  Bad bad;
};

// Names the case in test output instead of dumping its bytes.
void PrintTo(const CommandCase& c, std::ostream* os);

class CommandBuilders {
 public:
  // The server the builders act on, and its cast.
  static void Bind(SuiteServer* suite);

  // Every command (58), in the order of command_service.proto.
  static std::vector<CommandCase> All();

  // "t-<n>", n from the process's sequence.
  static std::string NextId();

  // A request of type `Request` with a fresh request id.
  template <typename Request>
  static Request Req() {
    Request r;
    r.set_request_id(NextId());
    return r;
  }

  // Calls as `as`; a test failure unless it succeeds.
  static v1::CommandResponse Must(const security::Principal& as,
                                  const google::protobuf::Message& request);
  static grpc::StatusCode Code(const security::Principal& as,
                               const google::protobuf::Message& request);

  // A one-event command (a referral by the school): its position is the log's head, so the gap
  // between two of them counts what was written in between.
  static uint64_t Probe();

  // A fresh area ("area-new-<n>") of `municipality`, established by the suite's founder, who
  // administers it.
  static std::string NewArea(const std::string& municipality = "Aalborg");

  // A referred youth; accepted too (`age`: a youth of that age today, e.g. 14, for whom a
  // custody holder consents; 0: the sample's own birth date).
  static std::string Referred();
  static std::string Accepted(int age = 0);

  // A task-force meeting scheduled now; held, with the school present and `youth` on its agenda.
  static std::string Scheduled();
  static std::string HeldMeetingWith(const std::string& youth);

  // A decision of the task force about `r.youth_id()` at a meeting held now (HeldMeetingWith),
  // agreeing on a change of its case to be recorded after it: sets `r`'s meeting_id and
  // decision_id (an AdoptActionPlan, CloseCase or HandOverToAdultServices).
  template <typename Request>
  static Request& Cite(Request& r) {
    auto d = Req<v1::RecordDecisionRequest>();
    d.set_meeting_id(HeldMeetingWith(r.youth_id()));
    d.set_youth_id(r.youth_id());
    d.set_text("Agreed at the task force");
    r.set_meeting_id(d.meeting_id());
    r.set_decision_id(Must(cast_->chief, d).id());
    return r;
  }

  // A decision at `meeting` on `youth` with one commitment of the school, due in 14 days.
  static v1::RecordDecisionRequest DecisionFor(const std::string& meeting,
                                               const std::string& youth);
  // That commitment, decided.
  static std::string Commitment(const std::string& youth);
  // The same commitment, proposed (the school did not accept it in the meeting).
  static std::string ProposedCommitment(const std::string& youth);
  // A commitment of `accepter`'s agency in `youth`'s case, `accepter` responsible for it:
  // proposed at a meeting and accepted after it by `accepter`. An escalation to the police at
  // steering-group level about one of the police's.
  static std::string CommitmentOf(const std::string& youth, const security::Principal& accepter);
  static std::string Escalation();

  // A referred youth with a notification to the social administration: {youth, notification}.
  static std::pair<std::string, std::string> Notified();
  // A youth with an open child-welfare investigation: {youth, investigation}.
  static std::pair<std::string, std::string> Investigated();

  // An erasure request for a youth referred by mistake (ground (d): not refused while the case
  // is open). `approved`: and approved; `assessed`: and the archive said "discard".
  static std::string Erasure(bool approved, bool assessed = false);

 protected:
  static scenario::Cast* cast_;
  static security::Principal* founder_;  // the suite's admin of fresh areas
  static CommandClient* client_;
  static std::atomic<int> sequence_;
};

}  // namespace hotspot::testing

#endif  // HOTSPOT_TESTS_E2E_COMMAND_CASES_H_
