// Tests api/server.cc's options: every bad value is INVALID_ARGUMENT naming
// its flag, and none throws.
#include "api/server.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace whoknows::api {
namespace {

ServerOptions Good() {
  ServerOptions o;
  o.data_dir = "/srv/whoknows";
  return o;
}

TEST(ServerOptionsTest, DefaultsWithADataFolderAreValid) {
  EXPECT_TRUE(Good().Validate().ok()) << Good().Validate();
}

TEST(ServerOptionsTest, EachBadValueNamesItsField) {
  struct Case {
    const char* field;
    std::function<void(ServerOptions&)> spoil;
  } cases[] = {
      {"--data", [](ServerOptions& o) { o.data_dir.clear(); }},
      {"--listen", [](ServerOptions& o) { o.listen = "localhost"; }},
      {"--listen", [](ServerOptions& o) { o.listen = ":50051"; }},
      {"--listen", [](ServerOptions& o) { o.listen = "127.0.0.1:65536"; }},
      {"--listen", [](ServerOptions& o) { o.listen = "127.0.0.1:-1"; }},
      // Once std::stol, which threw out_of_range out of a Status function.
      {"--listen",
       [](ServerOptions& o) { o.listen = "127.0.0.1:99999999999999999999"; }},
      {"--refresh-ms",
       [](ServerOptions& o) { o.refresh_interval = std::chrono::hours(2); }},
      {"--min-group", [](ServerOptions& o) { o.networks.min_group_size = 0; }},
      {"--min-group",
       [](ServerOptions& o) { o.networks.min_group_size = 1001; }},
      {"max_message_bytes", [](ServerOptions& o) { o.max_message_bytes = 1; }},
      {"--future-tolerance-s",
       [](ServerOptions& o) { o.future_tolerance_seconds = -1; }},
      {"clock", [](ServerOptions& o) { o.clock = nullptr; }},
      {"ranking.max_posts", [](ServerOptions& o) { o.ranking.max_posts = 0; }},
  };
  for (const auto& c : cases) {
    ServerOptions o = Good();
    c.spoil(o);
    absl::Status s = o.Validate();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(std::string(s.message()).rfind(c.field, 0), 0u)
        << c.field << ": " << s;
  }
}

}  // namespace
}  // namespace whoknows::api
