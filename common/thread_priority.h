// Background work (analyses, the model's rebuild, the graph's save) runs
// below the threads that answer queries.
#ifndef WHOKNOWS_COMMON_THREAD_PRIORITY_H_
#define WHOKNOWS_COMMON_THREAD_PRIORITY_H_

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace whoknows {

// Raises the calling thread's nice value by 10 (at most 19), relative to
// what it is: a server started under `nice -n 5` keeps its background
// threads below its query threads, and one run as root at nice 15 is not
// lifted to 10 above them. Linux: nice is per thread, and threads it
// starts inherit it. Raising it needs no privilege; a failure only leaves
// the thread where it was.
inline void LowerThisThreadsPriority() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);  // -1 is a valid value
  if (errno != 0) return;
  (void)::setpriority(PRIO_PROCESS, tid, std::min(19, now + 10));
}

}  // namespace whoknows

#endif  // WHOKNOWS_COMMON_THREAD_PRIORITY_H_
