#include "clients/cli/render.h"

#include <string>

#include "gtest/gtest.h"
#include "hotspot/v1/query_service.pb.h"

namespace hotspot::cli {
namespace {

// A name with runs of spaces cannot fake a column of list-cases: a cell keeps one space of a run.
TEST(RenderTest, RunsOfSpacesInAValueDoNotMakeAColumn) {
  v1::ListCasesResponse cases;
  v1::CaseView* faked = cases.add_cases();
  faked->set_youth_id("youth-1");
  faked->mutable_name()->set_text("Ali    closed    low");
  v1::CaseView* plain = cases.add_cases();
  plain->set_youth_id("youth-2");
  plain->mutable_name()->set_text("Sara Jensen");
  const std::string text = Render(cases);
  EXPECT_NE(text.find("youth-1  Ali closed low"), std::string::npos) << text;
  EXPECT_EQ(text.find("Ali  "), std::string::npos) << text;
  EXPECT_NE(text.find("youth-2  Sara Jensen"), std::string::npos) << text;
}

}  // namespace
}  // namespace hotspot::cli
