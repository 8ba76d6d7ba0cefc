#include "ranking/file_io.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace whoknows::ranking::file_io {

absl::Status WriteAtomically(
    const std::string& path, std::ios::openmode mode,
    const std::function<absl::Status(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, mode | std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    if (absl::Status s = write(out); !s.ok()) return s;
    out.flush();
    if (!out)
      return absl::DataLossError(absl::StrCat("writing ", tmp, " failed"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace whoknows::ranking::file_io
