// The shared Enron e-mail network (actors and messages, with departments).
#ifndef WHOKNOWS_IMPORTERS_ENRON_H_
#define WHOKNOWS_IMPORTERS_ENRON_H_

#include <string>

#include "absl/status/statusor.h"
#include "importers/import.h"

namespace whoknows::index {
class Catalog;
}

namespace whoknows::importers {

// Imports `actors.json` and `messages.json` from `dir`: actors become people
// (id = actor id, department, long_department as team, title; gender and
// seniority are dropped: no analysis needs them), each message one
// interaction of kind "email" from its sender to its receivers (id
// "enron-<message id>"). People are committed before any message.
absl::StatusOr<ImportStats> ImportEnron(const std::string& dir,
                                        index::Catalog& catalog,
                                        const ImportOptions& options);

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_ENRON_H_
