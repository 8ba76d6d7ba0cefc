// Who counts: the people-directory notions that ranking and the network
// analyses share, defined once.
#ifndef WHOKNOWS_INDEX_PEOPLE_H_
#define WHOKNOWS_INDEX_PEOPLE_H_

#include "whoknows/v1/people.pb.h"

namespace whoknows::index {

// True when a person is active: an unset `active` means active. Inactive
// people (left the company) are never suggested, never brokers, never new
// hires to welcome.
inline bool IsActive(const v1::Person& person) {
  return !person.has_active() || person.active();
}

// True when a person may be suggested or named at all: active and not opted
// out.
inline bool IsSuggestable(const v1::Person& person) {
  return IsActive(person) && !person.opted_out();
}

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_PEOPLE_H_
