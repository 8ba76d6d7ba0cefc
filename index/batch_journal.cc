#include "index/batch_journal.h"

#include <zlib.h>

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace whoknows::index {
namespace {

// "whoknows batch journal, format 1".
constexpr std::string_view kMagic = "WKBATCH1\n";
// The trailer: the length of the records (8 bytes) and the CRC-32 (4).
constexpr size_t kTrailer = 12;

enum Kind : uint8_t { kDelete = 0, kPost = 1, kPerson = 2 };

void PutFixed(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetFixed(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

void PutRecord(std::string* out, Store store, Kind kind,
               std::string_view payload) {
  out->push_back(static_cast<char>(store));
  out->push_back(static_cast<char>(kind));
  PutFixed(out, payload.size(), 4);
  out->append(payload);
}

uint32_t Crc(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed large journals in pieces.
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()),
                static_cast<uInt>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

absl::Status Damaged(std::string_view why) {
  return absl::DataLossError(absl::StrCat("batch journal: ", std::string(why)));
}

}  // namespace

int BatchWrites::StoresTouched() const {
  int n = 0;
  for (const StoreWrites& s : stores) n += !s.empty();
  return n;
}

std::string BatchWrites::Describe() const {
  size_t deletions = 0;
  for (const StoreWrites& s : stores) deletions += s.deleted.size();
  return absl::StrCat((*this)[Store::kPosts].posts.size(), " posts, ",
                      (*this)[Store::kPrivatePosts].posts.size(),
                      " private posts, ", (*this)[Store::kPeople].people.size(),
                      " people, ", deletions, " deletions");
}

std::string EncodeBatchJournal(const BatchWrites& writes) {
  std::string out(kMagic);
  for (int i = 0; i < kStoreCount; ++i) {
    const Store store = static_cast<Store>(i);
    const StoreWrites& s = writes[store];
    for (const auto& id : s.deleted) PutRecord(&out, store, kDelete, id);
    for (const auto& p : s.posts)
      PutRecord(&out, store, kPost, p.SerializeAsString());
    for (const auto& p : s.people)
      PutRecord(&out, store, kPerson, p.SerializeAsString());
  }
  PutFixed(&out, out.size() - kMagic.size(), 8);
  PutFixed(&out, Crc(out), 4);
  return out;
}

absl::StatusOr<BatchWrites> DecodeBatchJournal(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + kTrailer ||
      bytes.substr(0, kMagic.size()) != kMagic) {
    return bytes.substr(0, std::min(bytes.size(), kMagic.size())) ==
                   kMagic.substr(0, std::min(bytes.size(), kMagic.size()))
               ? Damaged(absl::StrCat("torn (", bytes.size(), " bytes)"))
               : Damaged("not a batch journal");
  }
  const size_t body_end = bytes.size() - kTrailer;
  const uint64_t length = GetFixed(bytes.substr(body_end), 8);
  if (length != body_end - kMagic.size()) {
    return Damaged(absl::StrCat("torn (", body_end - kMagic.size(),
                                " bytes of records, the trailer says ", length,
                                ")"));
  }
  if (GetFixed(bytes.substr(body_end + 8), 4) !=
      Crc(bytes.substr(0, body_end + 8)))
    return Damaged("checksum mismatch");
  BatchWrites w;
  std::string_view in = bytes.substr(kMagic.size(), length);
  while (!in.empty()) {
    if (in.size() < 6) return Damaged("a record is cut short");
    const auto store = static_cast<uint8_t>(in[0]);
    const auto kind = static_cast<uint8_t>(in[1]);
    const uint64_t size = GetFixed(in.substr(2), 4);
    if (store >= kStoreCount || kind > kPerson || in.size() - 6 < size)
      return Damaged("a record is malformed");
    const std::string_view payload = in.substr(6, size);
    in.remove_prefix(6 + size);
    StoreWrites& s = w[static_cast<Store>(store)];
    if (kind == kDelete) {
      s.deleted.emplace_back(payload);
    } else if (kind == kPost) {
      if (!s.posts.emplace_back().ParseFromArray(
              payload.data(), static_cast<int>(payload.size())))
        return Damaged("a post does not parse");
    } else if (!s.people.emplace_back().ParseFromArray(
                   payload.data(), static_cast<int>(payload.size()))) {
      return Damaged("a person does not parse");
    }
  }
  return w;
}

}  // namespace whoknows::index
