// Ids in JSON input. Internal to importers/.
#ifndef WHOKNOWS_IMPORTERS_JSON_IDS_H_
#define WHOKNOWS_IMPORTERS_JSON_IDS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace whoknows::importers {

// An id written as a string or as an integer (Enron's ids are numbers);
// empty for anything else.
inline std::string IdOf(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_string()) return v.get<std::string>();
  return "";
}

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_JSON_IDS_H_
