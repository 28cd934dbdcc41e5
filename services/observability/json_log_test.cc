#include "services/observability/json_log.h"

#include "gtest/gtest.h"

namespace hotspot::observability {
namespace {

const absl::Time kTime = absl::FromUnixMicros(1740821400123456);

TEST(JsonLogTest, KeyValueFieldsBecomeJsonFields) {
  EXPECT_EQ(JsonLogLine(kTime, "INFO", "call_observer.cc:80",
                        "event=rpc method=/hotspot.v1.QueryService/GetCase code=OK "
                        "duration_ms=1.930 trace_id=4bf92f3577b34da6a3ce929d0e0e4736"),
            "{\"time\":\"2025-03-01T09:30:00.123456Z\",\"level\":\"INFO\","
            "\"source\":\"call_observer.cc:80\",\"event\":\"rpc\","
            "\"method\":\"/hotspot.v1.QueryService/GetCase\",\"code\":\"OK\","
            "\"duration_ms\":1.930,\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}");
}

TEST(JsonLogTest, QuotedValuesKeepTheirSpacesAndQuotesAndStayStrings) {
  EXPECT_EQ(JsonLogLine(kTime, "ERROR", "m.cc:1",
                        "event=start_failed code=\"42\" msg=\"data_dir: cannot \"x\" create\""),
            "{\"time\":\"2025-03-01T09:30:00.123456Z\",\"level\":\"ERROR\",\"source\":\"m.cc:1\","
            "\"event\":\"start_failed\",\"code\":\"42\","
            "\"msg\":\"data_dir: cannot \\\"x\\\" create\"}");
}

TEST(JsonLogTest, NumbersOnlyWhereADoubleHoldsThemExactly) {
  EXPECT_EQ(JsonLogLine(kTime, "INFO", "f:1", "a=12 b=0012 c=1234567890123456 d=-3.5 e=1e5"),
            "{\"time\":\"2025-03-01T09:30:00.123456Z\",\"level\":\"INFO\",\"source\":\"f:1\","
            "\"a\":12,\"b\":\"0012\",\"c\":\"1234567890123456\",\"d\":-3.5,\"e\":\"1e5\"}");
}

TEST(JsonLogTest, ProseIsKeptWholeAsMsg) {
  EXPECT_EQ(JsonLogLine(kTime, "WARNING", "f:2", "Dev tokens: shown once"),
            "{\"time\":\"2025-03-01T09:30:00.123456Z\",\"level\":\"WARNING\",\"source\":\"f:2\","
            "\"msg\":\"Dev tokens: shown once\"}");
}

TEST(JsonLogTest, FieldsNamedLikeTheLinesOwnGetAPrefix) {
  EXPECT_EQ(JsonLogLine(kTime, "INFO", "f:3", "level=9 time=now"),
            "{\"time\":\"2025-03-01T09:30:00.123456Z\",\"level\":\"INFO\",\"source\":\"f:3\","
            "\"_level\":9,\"_time\":\"now\"}");
}

TEST(JsonLogTest, ControlCharactersAreEscapedAndBytesThatAreNotUtf8Replaced) {
  EXPECT_EQ(JsonLogLine(kTime, "INFO", "f:4", "x=\"a\x1b[31m\nb\tc\\ \xc3\xa6\xff\xc3\""),
            "{\"time\":\"2025-03-01T09:30:00.123456Z\",\"level\":\"INFO\",\"source\":\"f:4\","
            "\"x\":\"a\\u001b[31m\\nb\\tc\\\\ \xc3\xa6\\ufffd\\ufffd\"}");
}

}  // namespace
}  // namespace hotspot::observability
