#include "services/projections/all_views.h"

#include "services/projections/area_views.h"
#include "services/projections/case_views.h"
#include "services/projections/duplicate_index.h"
#include "services/projections/subject_view.h"

namespace hotspot::projections {

std::vector<std::unique_ptr<View>> AllViews(security::Sealer* sealer,
                                            security::IdentityDigester digester) {
  std::vector<std::unique_ptr<View>> views;
  views.push_back(std::make_unique<CasesView>());
  views.push_back(std::make_unique<CommitmentsView>());
  views.push_back(std::make_unique<EscalationsView>());
  views.push_back(std::make_unique<MeetingsView>());
  views.push_back(std::make_unique<AreaView>());
  views.push_back(std::make_unique<SubjectView>());
  views.push_back(std::make_unique<DuplicateIndex>(sealer, std::move(digester)));
  return views;
}

}  // namespace hotspot::projections
