#pragma once
// Small POSIX helpers shared by FileStorage and DirLock. Internal to the journal module.
#include <cstdint>
#include <string>
#include <string_view>

#include "warren/error.hpp"

namespace warren::journal::detail {

// mkdir -p with `mode` for every directory it creates; each new directory's parent is fsynced so
// the new entry survives a crash. Fails if `path` (or a component) exists and is not a directory.
Status make_dirs(const std::string& path, unsigned mode);

// Writes all of `bytes` at `offset` (pwrite), retrying short writes and EINTR. Returns the errno
// of the failing write (0 on success) and how much was written before it, so the caller can
// undo a partial write.
struct WriteOutcome {
    int err = 0;
    uint64_t written = 0;
};
WriteOutcome pwrite_all(int fd, std::string_view bytes, uint64_t offset);

// fsync of a directory, so renames and new entries in it are durable.
Status sync_dir(const std::string& dir);

}  // namespace warren::journal::detail
