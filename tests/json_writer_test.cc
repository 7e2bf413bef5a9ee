// Answers are JSON a client's parser must accept whatever a name contains.
#include "io/json_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace hourglass::io {
namespace {

std::string Written(std::string_view value) {
  std::string out;
  JsonWriter(out).BeginObject().Field("v", value).EndObject();
  return out;
}

// What a standard parser reads back from the written answer.
std::string ReadBack(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view v;
  EXPECT_EQ(parser.parse(json)["v"].get(v), simdjson::SUCCESS) << json;
  return std::string(v);
}

TEST(JsonWriter, PlainNamesAreCopiedAsTheyAre) {
  EXPECT_EQ(Written("SKU-00022"), R"({"v":"SKU-00022"})");
  EXPECT_EQ(Written(""), R"({"v":""})");
}

TEST(JsonWriter, QuotesBackslashesAndControlBytesAreEscaped) {
  EXPECT_EQ(Written("a\"b\\c"), R"({"v":"a\"b\\c"})");
  EXPECT_EQ(Written("\n\r\t"), R"({"v":"\n\r\t"})");
  EXPECT_EQ(Written(std::string("\x01x\x1f", 3)), R"({"v":"\u0001x\u001f"})");
}

TEST(JsonWriter, EveryByteSurvivesARoundTrip) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "上海 店";  // UTF-8 passes through unchanged
  EXPECT_EQ(ReadBack(Written(all)), all);
  EXPECT_EQ(ReadBack(Written("\"" + all + "\\")), "\"" + all + "\\");
}

// Keys take a shortcut when they need no escaping; commas and nesting must
// come out the same either way (a subscription name is a key a client chose).
TEST(JsonWriter, KeysPlainOrEscapedKeepCommasAndNesting) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Field("a", int64_t{1}).Key("say \"hi\"").BeginObject();
  w.Field("x", true).Key("y").BeginArray().BeginObject().Field("z", "v").EndObject();
  w.Int(2).EndArray().EndObject().Field("tab\there", "t").Field("b", "w").EndObject();
  EXPECT_EQ(out, R"({"a":1,"say \"hi\"":{"x":true,"y":[{"z":"v"},2]},"tab\there":"t","b":"w"})");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS) << out;
  bool x = false;
  EXPECT_EQ(doc["say \"hi\""]["x"].get(x), simdjson::SUCCESS);
  EXPECT_TRUE(x);
  std::string_view t;
  EXPECT_EQ(doc["tab\there"].get(t), simdjson::SUCCESS);
  EXPECT_EQ(t, "t");
}

}  // namespace
}  // namespace hourglass::io
