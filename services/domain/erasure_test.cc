// erasure.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Art. 17 with Art. 17(3)(b) and Arkivloven: a request carries its ground; it is refused at
// once while the case is open or within retention (but on ground (d)); the archive assesses
// before execution, and "preserve" waits for the transfer.
TEST_F(DecideTest, ErasureHasAGroundIsRefusedWhileRecordsMustBeKeptAndWaitsForTheArchive) {
  // The events a decision writes to the erasure's own stream.
  auto on = [](const Decision& d) {
    for (const StreamWrite& w : d.writes) {
      if (w.stream == d.id) return w.events;
    }
    return std::vector<v1::Event>();
  };
  const std::string youth = AcceptedYouth();
  auto request = Req<v1::RequestErasureRequest>();
  request.set_youth_id(youth);
  request.set_requested_by("the mother");
  request.set_reason("The family has moved away");
  absl::StatusOr<Decision> d = w_.Run(request, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("ground"));
  request.set_ground(v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  // Open: recorded and refused at once.
  Decision open = w_.Do(request, chief_);
  ASSERT_EQ(on(open).size(), 2u);
  EXPECT_EQ(on(open)[0].erasure_requested().ground(), v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  EXPECT_TRUE(on(open)[1].erasure_refused().automatic());
  EXPECT_THAT(on(open)[1].erasure_refused().reason(), HasSubstr("open"));
  auto approve = Req<v1::ApproveErasureRequest>();
  approve.set_erasure_id(open.id);
  EXPECT_EQ(Code(w_.Run(approve, auditor_)), absl::StatusCode::kFailedPrecondition);

  // Closed today: within its retention.
  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
  EXPECT_EQ(w_.Do(Cite(close), chief_).writes[0].events[0].case_closed().closed_on().year(), 2026);
  request.set_request_id("erase-within-retention");
  const Decision kept = w_.Do(request, chief_);
  ASSERT_EQ(on(kept).size(), 2u);
  EXPECT_THAT(on(kept)[1].erasure_refused().reason(), HasSubstr("1826 days"));

  // Five years and a day later the auditor assesses it; the archive decides before execution.
  w_.now_ += absl::Hours(24 * 1827);
  request.set_request_id("erase-after-retention");
  const Decision due = w_.Do(request, chief_);
  ASSERT_EQ(on(due).size(), 1u);
  approve.set_request_id("approve-due");
  approve.set_erasure_id(due.id);
  approve.set_reason("Closed five years ago; the mother asked");
  const Decision approved = w_.Do(approve, auditor_);
  // The auditor's words may name the youth's circumstances: sealed under the youth.
  EXPECT_EQ(World::Unseal(on(approved)[0].erasure_approved().reason_sealed()),
            "Closed five years ago; the mother asked");
  EXPECT_EQ(on(approved)[0].erasure_approved().reason_sealed().key_id(),
            on(due)[0].erasure_requested().youth_id());
  EXPECT_EQ(on(approved)[0].erasure_approved().reason(), "");
  auto execute = Req<v1::ExecuteErasureRequest>();
  execute.set_erasure_id(due.id);
  d = w_.Run(execute, admin_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("archive"));
  auto transfer = Req<v1::RecordArchiveTransferRequest>();
  transfer.set_erasure_id(due.id);
  transfer.set_reference("ARK-1/T");
  EXPECT_EQ(Code(w_.Run(transfer, auditor_)), absl::StatusCode::kFailedPrecondition);  // not asked
  auto assess = Req<v1::RecordArchiveAssessmentRequest>();
  assess.set_erasure_id(due.id);
  assess.set_outcome(v1::ARCHIVE_OUTCOME_PRESERVE_AND_TRANSFER);
  // A journal number, not free text: it is kept in clear after the erasure, so nothing about
  // the youth may fit in it.
  for (const char* words : {"ARK-1 Ali Hassan", "ARK-1/HASSAN", "ark-1", "ARK-ALI", "",
                            "ARK-2026-0000000000000000000000000000000001",
                            // A CPR number files a person, not a case; nor a name in short runs.
                            "010203-1234", "ARK-0102031234", "ALI-HASS-AN-1",
                            // The second review's: CPR numbers and dates split otherwise, names.
                            "2008-09-1133", "20.08.09-1133", "200809/1133", "0200809-1133",
                            "MOH-KHAN-20080911-33", "NOAH-20.08.2009", "ARK-2026-11-05",
                            "ARK-1-KHAN",
                            // And the third's: a CPR number split by a letter, a birth date, a
                            // name in single letters.
                            "ARK-200809X1133", "ARK-200809", "ARK-1-K-H-A-N",
                            // And the fifth's: a CPR number split 5/5 around the letter.
                            "20080G91133", "ARK-2008-0G9-1133", "2008G091133"}) {
    assess.set_reference(words);
    d = w_.Run(assess, auditor_);
    EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument) << words;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("reference: ")) << words;
    transfer.set_reference(words);
    EXPECT_EQ(Code(w_.Run(transfer, auditor_)), absl::StatusCode::kInvalidArgument) << words;
  }
  // Journal numbers as archives and the KLE write them pass.
  for (const char* number : {"KBH-ARK-2026-0042", "27.24.00-G01-1-26", "00.01.00-G01-12-26",
                             "ARK-2026/1234", "2026-4217", "A-27.24.00-P20-3-26"}) {
    EXPECT_TRUE(CheckJournalNumber("reference", number).ok()) << number;
  }
  transfer.set_reference("ARK-1/T");
  assess.set_reference("ARK-1");
  EXPECT_EQ(Code(w_.Run(assess, chief_)), absl::StatusCode::kPermissionDenied);
  w_.Do(assess, auditor_);
  assess.set_request_id("assess-again");
  EXPECT_EQ(Code(w_.Run(assess, auditor_)), absl::StatusCode::kFailedPrecondition);
  d = w_.Run(execute, admin_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("transfer"));
  w_.Do(transfer, auditor_);
  EXPECT_TRUE(on(w_.Do(execute, admin_))[0].has_erasure_executed());

  // Reopened after the approval: its records are kept again, and execution is refused.
  const std::string again = AcceptedYouth();
  auto close_again = Req<v1::CloseCaseRequest>();
  close_again.set_youth_id(again);
  close_again.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
  w_.Do(Cite(close_again), chief_);
  w_.now_ += absl::Hours(24 * 1827);
  auto late = Req<v1::RequestErasureRequest>();
  late.set_youth_id(again);
  late.set_requested_by("the youth");
  late.set_reason("Moved away long ago");
  late.set_ground(v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  const Decision pending = w_.Do(late, chief_);
  ASSERT_EQ(on(pending).size(), 1u);
  auto approve_late = Req<v1::ApproveErasureRequest>();
  approve_late.set_erasure_id(pending.id);
  w_.Do(approve_late, auditor_);
  auto discard = Req<v1::RecordArchiveAssessmentRequest>();
  discard.set_erasure_id(pending.id);
  discard.set_outcome(v1::ARCHIVE_OUTCOME_DISCARD);
  discard.set_reference("ARK-2");
  w_.Do(discard, auditor_);
  auto reopen = Req<v1::ReopenCaseRequest>();
  reopen.set_youth_id(again);
  reopen.set_reason("Back in the area");
  w_.Do(reopen, chief_);
  auto execute_late = Req<v1::ExecuteErasureRequest>();
  execute_late.set_erasure_id(pending.id);
  d = w_.Run(execute_late, admin_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("open"));

  // Ground (d), data processed unlawfully: to the auditor whatever the case's state.
  const std::string wrong = AcceptedYouth();
  auto unlawful = Req<v1::RequestErasureRequest>();
  unlawful.set_youth_id(wrong);
  unlawful.set_requested_by("the youth");
  unlawful.set_reason("Referred by mistake: the wrong youth");
  unlawful.set_ground(v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED);
  const Decision asked = w_.Do(unlawful, chief_);
  EXPECT_EQ(on(asked).size(), 1u);
  // The auditor refuses it, in words sealed under the youth.
  auto refuse = Req<v1::RefuseErasureRequest>();
  refuse.set_erasure_id(asked.id);
  EXPECT_EQ(Code(w_.Run(refuse, auditor_)), absl::StatusCode::kInvalidArgument);  // no reason
  refuse.set_reason("The referral was lawful: the school's concern stands");
  const v1::ErasureRefused refused = on(w_.Do(refuse, auditor_))[0].erasure_refused();
  EXPECT_EQ(World::Unseal(refused.reason_sealed()),
            "The referral was lawful: the school's concern stands");
  EXPECT_EQ(refused.reason_sealed().key_id(), wrong);
  EXPECT_EQ(refused.reason(), "");
  EXPECT_FALSE(refused.automatic());
}

// An erasure names its youth: to an auditor or an admin of another area, one that does not exist
// is refused as one of the area is, PERMISSION_DENIED in the same words naming neither the area
// nor whether it exists (security::MayLearnOfCaseIn, as for a youth).
TEST_F(DecideTest, AnErasureOutsideTheCallersAreasIsRefusedAsOneThatDoesNotExist) {
  const std::string youth = AcceptedYouth();
  auto request = Req<v1::RequestErasureRequest>();
  request.set_youth_id(youth);
  request.set_requested_by("the mother");
  request.set_reason("The family has moved away");
  request.set_ground(v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  const std::string erasure = w_.Do(request, chief_).id;
  const Principal other_auditor{"auditor-b", "agency-hotspot", Role::kAuditor, {"area-b"}};
  const Principal other_admin{"admin-b", "agency-hotspot", Role::kAdmin, {"area-b"}};
  const std::string nobody = "erasure-nobody";
  auto approve = [&](const std::string& id, const Principal& who) {
    auto r = Req<v1::ApproveErasureRequest>();
    r.set_erasure_id(id);
    return w_.Run(r, who);
  };
  auto execute = [&](const std::string& id, const Principal& who) {
    auto r = Req<v1::ExecuteErasureRequest>();
    r.set_erasure_id(id);
    return w_.Run(r, who);
  };
  ExpectRefusedAlike(approve(nobody, other_auditor), nobody, approve(erasure, other_auditor),
                     erasure, absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(approve(erasure, other_auditor).status().message(),
            absl::StrCat("erasure_id: auditor-b has no access to ", erasure));
  ExpectRefusedAlike(execute(nobody, other_admin), nobody, execute(erasure, other_admin), erasure,
                     absl::StatusCode::kPermissionDenied);
  // One that does not exist is of no area, as a youth with no case is: refused alike to the
  // area's auditor too; an auditor of every area is told that it does not exist.
  EXPECT_EQ(approve(nobody, auditor_).status().message(),
            "erasure_id: auditor-kim has no access to erasure-nobody");
  const Principal dpo{"auditor-dpo", "agency-hotspot", Role::kAuditor, {}};
  EXPECT_EQ(Code(approve(nobody, dpo)), absl::StatusCode::kNotFound);
  EXPECT_EQ(approve(nobody, dpo).status().message(), "erasure_id: no erasure erasure-nobody");
}

}  // namespace
}  // namespace hotspot::domain
