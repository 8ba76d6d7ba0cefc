// Fuzzes the JSONL exchange format (importers/jsonl.h): each line of the
// input is parsed as a person or post record and as an interaction record.
// Besides crashes and sanitizer reports, it checks that whatever the reader
// accepts is valid and survives the way back: ToJsonl of a parsed record
// parses again to the same record.
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_support.h"
#include "importers/jsonl.h"
#include "index/validation.h"

namespace {

using whoknows::fuzz::Fail;
using whoknows::importers::ParseInteractionRecord;
using whoknows::importers::ParseJsonlRecord;
using whoknows::importers::ToJsonl;

template <typename Message>
void CheckRoundTrip(const Message& parsed, std::string_view line) {
  const std::string again = ToJsonl(parsed);
  auto reparsed = ParseJsonlRecord(again);
  if (!reparsed.ok()) {
    Fail("ToJsonl of an accepted record is rejected: " +
         std::string(reparsed.status().message()) +
         "\n  line: " + std::string(line) + "\n  ToJsonl: " + again);
  }
  const Message* back = std::get_if<Message>(&*reparsed);
  if (!back ||
      !google::protobuf::util::MessageDifferencer::Equals(parsed, *back)) {
    Fail("ToJsonl does not parse back to the same record\n  line: " +
         std::string(line) + "\n  ToJsonl: " + again);
  }
}

void CheckLine(std::string_view line) {
  if (auto record = ParseJsonlRecord(line); record.ok()) {
    if (auto* post = std::get_if<whoknows::v1::Post>(&*record)) {
      if (!whoknows::index::ValidatePost(*post, "post", {}).ok())
        Fail("accepted an invalid post: " + std::string(line));
      CheckRoundTrip(*post, line);
    } else {
      const auto& person = std::get<whoknows::v1::Person>(*record);
      if (!whoknows::index::ValidatePerson(person, "person", {}).ok())
        Fail("accepted an invalid person: " + std::string(line));
      CheckRoundTrip(person, line);
    }
  }
  if (auto it = ParseInteractionRecord(line); it.ok()) {
    if (!whoknows::index::ValidateInteraction(*it, "interaction", {}).ok())
      Fail("accepted an invalid interaction: " + std::string(line));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (std::string_view line : whoknows::fuzz::Split(input, "\n")) {
    CheckLine(line);
  }
  return 0;
}
