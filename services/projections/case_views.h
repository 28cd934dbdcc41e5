// The case view and the commitments view.
//
// "cases.v1" rows:
//   case/<youth_id>        CaseView: where the case stands (personal data sealed)
//   c2y/<commitment_id>    the youth a commitment is for (to follow its changes)
//   e2y/<escalation_id>    the youth an escalation concerns
// "commitments.v1" rows:
//   commitment/<id>        CommitmentView
#ifndef HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_

#include <string>

#include "hotspot/v1/views.pb.h"
#include "services/projections/view.h"

namespace hotspot::projections {

inline constexpr char kCasesView[] = "cases.v1";
inline constexpr char kCommitmentsView[] = "commitments.v1";

inline std::string CaseKey(absl::string_view youth_id) { return absl::StrCat("case/", youth_id); }
inline std::string CommitmentKey(absl::string_view id) { return absl::StrCat("commitment/", id); }

class CasesView final : public View {
 public:
  std::string name() const override { return kCasesView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

class CommitmentsView final : public View {
 public:
  std::string name() const override { return kCommitmentsView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_
