// Fuzzes the Stack Exchange dump reader (importers/stackexchange.h). The
// input is a dump folder written as one text: Posts.xml, then Users.xml,
// Comments.xml, Votes.xml and PostLinks.xml, separated by lines "#--" (a
// missing part is a missing file, as in a dump without it). The files are
// written to a scratch folder and read with ReadStackExchange, strict and
// lenient. Besides crashes and sanitizer reports it checks that every
// record the reader passes on is valid.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "importers/stackexchange.h"
#include "index/validation.h"

namespace {

namespace fs = std::filesystem;
using whoknows::fuzz::Fail;

constexpr const char* kFiles[] = {"Posts.xml", "Users.xml", "Comments.xml",
                                  "Votes.xml", "PostLinks.xml"};

// Lays the input out as a dump folder; returns its path.
std::string WriteDump(std::string_view input) {
  const std::string dir = whoknows::fuzz::ScratchDir("stackexchange");
  const std::vector<std::string_view> parts =
      whoknows::fuzz::Split(input, "\n#--\n");
  for (size_t i = 0; i < std::size(kFiles); ++i) {
    const std::string path = (fs::path(dir) / kFiles[i]).string();
    if (i < parts.size()) {
      whoknows::fuzz::WriteFile(path, parts[i]);
    } else {
      std::error_code ec;
      fs::remove(path, ec);
    }
  }
  return dir;
}

void Read(const std::string& dir, bool strict, int64_t created_before) {
  whoknows::importers::ImportOptions options;
  options.strict = strict;
  options.created_before = created_before;
  int64_t people = 0, posts = 0;
  whoknows::importers::StackExchangeSink sink{
      [&](whoknows::v1::Person p) {
        if (auto s = whoknows::index::ValidatePerson(p, "user", {}); !s.ok())
          Fail("passed on an invalid person: " + std::string(s.message()));
        ++people;
        return absl::OkStatus();
      },
      [&](whoknows::v1::Post p) {
        if (auto s = whoknows::index::ValidatePost(p, "post", {}); !s.ok())
          Fail("passed on an invalid post: " + std::string(s.message()));
        if (created_before > 0 && p.created().seconds() >= created_before)
          Fail("passed on a post created after the cut-off");
        ++posts;
        return absl::OkStatus();
      },
      [&](whoknows::v1::Person p) {
        if (auto s = whoknows::index::ValidatePerson(p, "author", {}); !s.ok())
          Fail("passed on an invalid author: " + std::string(s.message()));
        ++people;
        return absl::OkStatus();
      },
      [&](const whoknows::v1::Post& p) {
        if (!p.title().empty() || !p.body().empty())
          Fail("passed a post with text as empty");
        return absl::OkStatus();
      },
  };
  auto stats = whoknows::importers::ReadStackExchange(dir, options, sink);
  if (stats.ok() && strict && stats->skipped != 0)
    Fail("a strict read skipped records");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string dir =
      WriteDump(std::string_view(reinterpret_cast<const char*>(data), size));
  Read(dir, /*strict=*/false, /*created_before=*/0);
  Read(dir, /*strict=*/true, /*created_before=*/0);
  // A cut-off inside the datasets' years (2014-01-01).
  Read(dir, /*strict=*/false, /*created_before=*/1388534400);
  return 0;
}
