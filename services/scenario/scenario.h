// The scenario generator: one hotspot area modelled on the seeds (Sjælør Boulevard,
// Copenhagen), built through commands exactly as people would build it: the area and its
// programme, its agencies with leadership ladders and their people, the five bodies with their
// cadence, 40 youths at different stages, task-force meetings every two weeks with decisions and
// commitments (some of them late), two escalations at different levels, and the other bodies at
// work as 002 and 004 describe them (see Builder::Bodies in scenario.cc). Used by the demo, tests
// and benchmarks. All names, CPR numbers and addresses are invented.
//
// Idempotent: every command has a request id derived from ScenarioOptions::request_prefix, so
// building the scenario again answers every command from the log and writes nothing.
//
// Thread-safety: Build() runs its commands one at a time through the sink it is given.
#ifndef HOTSPOT_SERVICES_SCENARIO_SCENARIO_H_
#define HOTSPOT_SERVICES_SCENARIO_SCENARIO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "hotspot/v1/command_service.pb.h"
#include "services/security/principal.h"

namespace hotspot::scenario {

inline constexpr char kAreaId[] = "area-sjaelor-boulevard";
// With backdating, the scenario plays this many days before ScenarioOptions::now; its first
// command (the area's establishment) happens at 09:00 UTC on the first of them. To build it
// again with the same requests, pass now = that time + kBackdatedDays.
inline constexpr int kBackdatedDays = 112;

// The people of the demo area, one principal per role the system knows.
struct Cast {
  security::Principal admin;          // the municipality's IT operator
  security::Principal chief;          // the hotspot chief (coordinator)
  security::Principal staff;          // hotspot staff (coordinator)
  security::Principal school_member;  // a teacher
  security::Principal school_leader;  // the head of school
  security::Principal police_member;
  security::Principal police_leader;
  security::Principal jobcentre_leader;
  security::Principal caseworker;  // social administration
  security::Principal auditor;
  security::Principal integration;     // another municipal system
  security::Principal club_member;     // a youth worker of the club
  security::Principal housing_member;  // the housing association's officer

  std::vector<security::Principal> All() const;
};
Cast SjaelorCast();

// Runs one command as a principal, at a business time (see ScenarioOptions::backdate).
class CommandSink {
 public:
  virtual ~CommandSink() = default;
  virtual absl::StatusOr<v1::CommandResponse> Send(const security::Principal& as,
                                                   const google::protobuf::Message& request,
                                                   absl::Time at) = 0;
};

struct ScenarioOptions {
  // Number of youths. Default: 40.
  int youths = 40;
  // Request ids are "<prefix>-<n>". Default: "demo".
  std::string request_prefix = "demo";
  // "Now". Default: absl::Now() when Build() starts.
  absl::Time now = absl::InfinitePast();
  // Play the 16 weeks before `now`: meetings every two weeks, each command at its own past time,
  // so that some commitments are late by `now`. The sink must honour `at` (in-process only).
  // False: every command happens when it is sent (from `now` on), and nothing is late; the
  // escalation moved up is acknowledged first. Default: true.
  bool backdate = true;
};

struct ScenarioResult {
  std::vector<std::string> youth_ids;
  std::vector<std::string> meeting_ids;
  std::vector<std::string> commitment_ids;
  std::vector<std::string> escalation_ids;
  int commands = 0;  // commands sent
  int replayed = 0;  // of them, answered from the log (built before)
};

// Builds the area. Returns the first command error, naming the step.
absl::StatusOr<ScenarioResult> BuildSjaelor(CommandSink& sink, ScenarioOptions options = {});

// A referral for the scenario's area: youth `n` with invented personal data.
v1::ReferYouthRequest SampleReferral(int n, std::string request_id);

// Sets `referral`'s birth date to `born`, and its CPR number to one that tells it (the same last
// three digits, the century digit of the year).
void SetBirthDate(v1::ReferYouthRequest& referral, absl::CivilDay born);

}  // namespace hotspot::scenario

#endif  // HOTSPOT_SERVICES_SCENARIO_SCENARIO_H_
