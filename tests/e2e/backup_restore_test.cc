// Backup and restore end to end (issue 15 §8): a backup taken while commands are being written
// restores, with the one documented command (`hotspotd --restore_from=<backup>`), to a server
// whose log verifies up to the backup's head, whose views rebuild from it and whose keys unseal
// every youth's name referred before the backup; what was written after it is not there, and
// the restored server takes new commands from the backup's head on. The restore refuses a data
// directory that holds data and a directory that is no backup.
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/hotspotd_process.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

namespace fs = std::filesystem;

// A referral the load wrote and had acknowledged.
struct Referred {
  uint64_t position = 0;
  std::string youth_id;
  std::string name;
};

TEST(BackupRestoreTest, ABackupTakenUnderLoadRestoresWithOneCommandToAWholeServer) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=true", "--deadline_interval_s=0"});
  ASSERT_TRUE(started.ok()) << started.status();
  SuiteServer& suite = **started;
  const scenario::Cast& cast = suite.cast;

  // The load: referrals one after another until told to stop, each acknowledged one kept.
  absl::Mutex mu;
  std::vector<Referred> referred;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread load([&] {
    for (int i = 0; !stop.load(); ++i) {
      v1::ReferYouthRequest referral =
          scenario::SampleReferral(i % 50, absl::StrCat("backup-load-", i));
      referral.set_name(absl::StrCat("Backup Loadtest ", i));
      const CallResult result = suite.commands->Call(cast.school_member, referral);
      if (!result.status.ok()) {
        ++failures;
        continue;
      }
      absl::MutexLock lock(&mu);
      referred.push_back({result.response.position(), result.response.id(), referral.name()});
    }
  });
  auto acknowledged = [&] {
    absl::MutexLock lock(&mu);
    return referred.size();
  };
  auto await_referrals = [&](size_t n) {
    const absl::Time until = absl::Now() + absl::Seconds(60);
    while (acknowledged() < n && absl::Now() < until) absl::SleepFor(absl::Milliseconds(10));
    return acknowledged() >= n;
  };
  ASSERT_TRUE(await_referrals(20));

  // The backup, while the load goes on.
  const std::string backup = suite.dir.Sub("backup");
  uint64_t backup_head = 0;
  {
    auto context = suite.As(cast.admin, "", absl::Seconds(60));
    v1::BackupRequest request;
    request.set_directory(backup);
    auto reader = v1::AdminService::NewStub(suite.channel)->Backup(context.get(), request);
    v1::BackupResponse progress;
    while (reader->Read(&progress)) backup_head = progress.position();
    const grpc::Status finished = reader->Finish();
    ASSERT_TRUE(finished.ok()) << finished.error_message();
  }
  const size_t at_backup = acknowledged();
  ASSERT_TRUE(await_referrals(at_backup + 20));  // more after the backup
  stop = true;
  load.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_GT(backup_head, 0u);
  size_t before = 0, after = 0;
  for (const Referred& r : referred) (r.position <= backup_head ? before : after)++;
  ASSERT_GE(before, 20u);  // the backup was taken under load: on both sides of it
  ASSERT_GE(after, 1u);

  // The server is lost; its master key (kept apart in production) is what a restore needs.
  ASSERT_TRUE(suite.process->Stop().ok());
  suite.process.reset();
  const std::string data = suite.dir.Sub("data");
  fs::rename(data, suite.dir.Sub("lost"));
  fs::create_directory(data);
  fs::copy_file(suite.dir.Sub("lost/master.key"), data + "/master.key");
  fs::permissions(data + "/master.key", fs::perms::owner_read | fs::perms::owner_write);

  // Refused: a directory that is no backup.
  std::string output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH,
                      {"--data_dir=" + data, "--restore_from=" + suite.dir.Sub("nothing")},
                      &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "restore_from: ")) << output;
  // Refused: an unfinished backup (one cut short is left under this name).
  fs::create_directory(backup + ".partial");
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH,
                      {"--data_dir=" + data, "--restore_from=" + backup + ".partial"}, &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "is an unfinished backup")) << output;
  EXPECT_FALSE(fs::exists(data + "/events"));
  // Refused: a backup without the manifest that a finished one has (an unfinished one renamed by
  // hand, or one taken before backups had manifests), the message saying how to proceed.
  ASSERT_TRUE(fs::exists(backup + "/manifest"));
  const std::string unmarked = suite.dir.Sub("unmarked");
  fs::copy(backup, unmarked, fs::copy_options::recursive);
  fs::remove(unmarked + "/manifest");
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, {"--data_dir=" + data, "--restore_from=" + unmarked}, &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "restore_from: " + unmarked + " has no manifest"))
      << output;
  EXPECT_TRUE(absl::StrContains(output, "write the line `hotspotd backup 1` into " + unmarked +
                                            "/manifest and restore again"))
      << output;
  EXPECT_FALSE(fs::exists(data + "/events"));
  // The one command.
  ASSERT_EQ(RunToExit(HOTSPOTD_PATH, {"--data_dir=" + data, "--restore_from=" + backup}, &output),
            0)
      << output;
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat(backup_head, " events, their hash chain "
                                                                   "verified")))
      << output;
  EXPECT_FALSE(fs::exists(data + "/.restoring"));
  // Refused: restoring over data.
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, {"--data_dir=" + data, "--restore_from=" + backup}, &output),
            1);
  EXPECT_TRUE(absl::StrContains(output, "data_dir: " + data + " holds events already")) << output;

  // The restored server: its log verifies to the backup's head, its views rebuild to it.
  ASSERT_TRUE(suite.Start().ok());
  ASSERT_TRUE(suite.WaitForViews(backup_head).ok());
  EXPECT_EQ(suite.Head(), backup_head);
  v1::VerifyLogResponse verified;
  {
    auto auditor = suite.As(cast.auditor, "audit: after a restore");
    ASSERT_TRUE(v1::AuditService::NewStub(suite.channel)
                    ->VerifyLog(auditor.get(), {}, &verified)
                    .ok());
  }
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.to_position(), backup_head);

  // Every youth referred before the backup reads with its name unsealed; one referred after it
  // is answered as a youth who never was (the same code as a made-up id: no existence oracle).
  auto queries = v1::QueryService::NewStub(suite.channel);
  auto get_case = [&](const std::string& youth, uint64_t min_position,
                      v1::GetCaseResponse* response) {
    v1::GetCaseRequest request;
    request.set_youth_id(youth);
    request.set_min_position(min_position);
    auto chief = suite.As(cast.chief, "case_coordination: after a restore");
    return queries->GetCase(chief.get(), request, response);
  };
  v1::GetCaseResponse response;
  const grpc::Status never =
      get_case("youth-01a24d35-0000-7000-8000-000000000000", backup_head, &response);
  ASSERT_FALSE(never.ok());
  for (const Referred& r : referred) {
    const grpc::Status read = get_case(r.youth_id, std::min(r.position, backup_head), &response);
    if (r.position <= backup_head) {
      ASSERT_TRUE(read.ok()) << r.youth_id << ": " << read.error_message();
      EXPECT_EQ(response.case_view().name().text(), r.name);
    } else {
      EXPECT_EQ(read.error_code(), never.error_code()) << r.youth_id;
    }
  }

  // And it takes new commands, from the backup's head on.
  const CallResult next =
      suite.commands->Call(cast.school_member, scenario::SampleReferral(3, "after-restore"));
  ASSERT_TRUE(next.status.ok()) << next.status.error_message();
  EXPECT_EQ(next.response.position(), backup_head + 1);
}

}  // namespace
}  // namespace hotspot::testing
