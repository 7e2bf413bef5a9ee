// Unit tests of the sink's edge: event parsing and validation (no database).
#include "io/pg_sink.h"

#include <gtest/gtest.h>

namespace hourglass::io {
namespace {

TEST(IsUtcTimestamp, AcceptsTheWireFormatOnly) {
  EXPECT_TRUE(IsUtcTimestamp("2026-11-24T10:00:00.123Z"));
  EXPECT_TRUE(IsUtcTimestamp("2026-11-24T10:00:00Z"));
  EXPECT_TRUE(IsUtcTimestamp("2028-02-29T23:59:59.123456789Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-02-29T10:00:00.000Z"));  // not a leap year
  EXPECT_FALSE(IsUtcTimestamp("2026-11-31T10:00:00.000Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-13-01T10:00:00.000Z"));
  EXPECT_FALSE(IsUtcTimestamp("0000-01-01T10:00:00.000Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-11-24T24:00:00.000Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-11-24T10:00:60.000Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-11-24T10:00:00.Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-11-24T10:00:00.1234567890Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-11-24T10:00:00.123+01:00"));
  EXPECT_FALSE(IsUtcTimestamp("2026-11-24 10:00:00.123Z"));
  EXPECT_FALSE(IsUtcTimestamp("2026-1a-24T10:00:00.123Z"));
  EXPECT_FALSE(IsUtcTimestamp(""));
}

class ParseEventTest : public ::testing::Test {
 protected:
  Event Parse(const std::string& line) {
    Event e;
    const Status s = ParseEvent(line, parser_, e);
    EXPECT_TRUE(s.ok()) << s.message();
    return e;
  }
  std::string Error(const std::string& line) {
    Event e;
    const Status s = ParseEvent(line, parser_, e);
    return s.ok() ? "" : s.message();
  }
  simdjson::dom::parser parser_;
};

TEST_F(ParseEventTest, Reserved) {
  const std::string line =
      R"({"seq":1042,"type":"reserved","order":"O-1","store":"S-17","items":[{"sku":"A","qty":2},)"
      R"({"sku":"B","qty":1},{"sku":"A","qty":3}],"expires_at":"2026-11-24T10:15:00.000Z",)"
      R"("ts":"2026-11-24T10:00:00.123Z"})";
  const Event e = Parse(line);
  EXPECT_EQ(e.seq, 1042);
  EXPECT_EQ(e.type, EventType::kReserved);
  EXPECT_TRUE(e.applies()) << e.problem;
  EXPECT_EQ(e.order, "O-1");
  EXPECT_EQ(e.store, "S-17");
  EXPECT_EQ(e.ts, "2026-11-24T10:00:00.123Z");
  EXPECT_EQ(e.expires_at, "2026-11-24T10:15:00.000Z");
  ASSERT_EQ(e.items.size(), 2u);  // A listed twice: one line, quantities added
  EXPECT_EQ(e.items[0].sku, "A");
  EXPECT_EQ(e.items[0].qty, 5);
  EXPECT_EQ(e.items[1].sku, "B");
  EXPECT_EQ(e.json, line);
}

TEST_F(ParseEventTest, StockSet) {
  Event e = Parse(R"({"seq":7,"type":"stock_set","store":"S-1","sku":"A","on_hand":10,)"
                  R"("ts":"2026-11-24T10:00:00.123Z"})");
  EXPECT_TRUE(e.applies()) << e.problem;
  EXPECT_EQ(e.sku, "A");
  EXPECT_EQ(e.on_hand, 10);
  EXPECT_EQ(e.as_of_seq, 7);  // none given: as of the event itself
  e = Parse(R"({"seq":8,"type":"stock_set","store":"S-1","sku":"A","on_hand":0,"as_of_seq":3,)"
            R"("ts":"2026-11-24T10:00:00.123Z"})");
  EXPECT_TRUE(e.applies()) << e.problem;
  EXPECT_EQ(e.as_of_seq, 3);
}

TEST_F(ParseEventTest, UnknownTypesAreKeptAsTheyAre) {
  const Event e =
      Parse(R"({"seq":3,"type":"zone_changed","zone":{"id":[1,2]},"ts":"2026-11-24T10:00:00Z"})");
  EXPECT_EQ(e.type, EventType::kOther);
  EXPECT_EQ(e.type_name, "zone_changed");
  EXPECT_FALSE(e.applies());
  EXPECT_TRUE(e.problem.empty());
  EXPECT_FALSE(e.order.has_value());
}

TEST_F(ParseEventTest, MalformedKnownEventsAreStoredNotApplied) {
  const std::string ts = R"("ts":"2026-11-24T10:00:00.000Z")";
  const std::pair<std::string, std::string> cases[] = {
      {R"({"seq":1,"type":"reserved","order":"O","store":"S","items":[{"sku":"A","qty":1}],)" + ts +
           "}",
       "expires_at"},
      {R"({"seq":1,"type":"committed","order":"O","store":"S",)" + ts + "}", "items"},
      {R"({"seq":1,"type":"committed","order":"O","store":"S","items":[],)" + ts + "}", "empty"},
      {R"({"seq":1,"type":"committed","order":"O","store":"S","items":[{"sku":"A","qty":0}],)" +
           ts + "}",
       "qty"},
      {R"({"seq":1,"type":"committed","order":"O","store":"S","items":[{"sku":"A","qty":2147483647},{"sku":"A","qty":1}],)" +
           ts + "}",
       "overflow"},
      {R"({"seq":1,"type":"committed","order":7,"store":"S","items":[{"sku":"A","qty":1}],)" + ts +
           "}",
       "order"},
      {R"({"seq":1,"type":"committed","order":"O","store":"S","items":[{"sku":"A","qty":1}],"ts":"yesterday"})",
       "ts"},
      {R"({"seq":1,"type":"committed","order":"O","order":"P","store":"S","items":[{"sku":"A","qty":1}],)" +
           ts + "}",
       "twice"},
      {R"({"seq":1,"type":"stock_set","store":"S","sku":"A","on_hand":-1,)" + ts + "}", "on_hand"},
      {R"({"seq":1,"type":"stock_set","store":"S","on_hand":1,)" + ts + "}", "sku"},
  };
  for (const auto& [line, why] : cases) {
    const Event e = Parse(line);
    EXPECT_FALSE(e.applies()) << line;
    EXPECT_NE(e.problem.find(why), std::string::npos) << line << " -> " << e.problem;
  }
  // A malformed ts is stored as NULL.
  EXPECT_FALSE(Parse(R"({"seq":1,"type":"x","ts":"2026-02-30T00:00:00Z"})").ts.has_value());
}

TEST_F(ParseEventTest, LinesThatCannotBeStoredAreErrors) {
  EXPECT_NE(Error("not json"), "");
  EXPECT_NE(Error("[1,2]"), "");
  EXPECT_NE(Error(R"({"type":"reserved"})"), "");
  EXPECT_NE(Error(R"({"seq":0,"type":"reserved"})"), "");
  EXPECT_NE(Error(R"({"seq":1.5,"type":"reserved"})"), "");
  EXPECT_NE(Error(R"({"seq":18446744073709551615,"type":"reserved"})"), "");
  EXPECT_NE(Error(R"({"seq":1})"), "");
  EXPECT_NE(Error(R"({"seq":1,"type":5})"), "");
  EXPECT_NE(Error(std::string(kMaxEventLineBytes + 1, ' ')), "");
}

TEST_F(ParseEventTest, NulCharactersBecomeReplacementCharacters) {
  // PostgreSQL text and jsonb cannot hold U+0000.
  const Event e = Parse(R"({"seq":1,"type":"x","order":"O-\u0000-1","note":"a\\u0000b"})");
  EXPECT_EQ(e.order, "O-\xEF\xBF\xBD-1");
  // The escaped backslash before "u0000" is text, not an escape.
  EXPECT_EQ(e.json, R"({"seq":1,"type":"x","order":"O-\ufffd-1","note":"a\\u0000b"})");
}

}  // namespace
}  // namespace hourglass::io
