#pragma once
// POSIX helpers of the state directory, shared by FileStorage and DirLock (make_dirs and
// sync_dir are in warren/fs.hpp).
//
// Trust (issue 6): the state directory is used only when it is owned by warrend's euid and
// not writable by group or others, and every file in it is opened through the directory's
// descriptor with O_NOFOLLOW, so nobody else can plant a link that makes warrend write
// elsewhere.
#include <cstdint>
#include <string>
#include <string_view>

#include "warren/error.hpp"
#include "warren/fd.hpp"
#include "warren/fs.hpp"

namespace warren::journal::detail {

// Creates the state directory (0700, parents too) if missing, opens it and checks it can be
// trusted: owned by our euid and not writable by group or others. Otherwise Code::invalid_config
// "refusing state directory /x: it is owned by nobody (uid 65534) with mode 0777, but ...; fix
// it with `chown root: /x && chmod 0700 /x`, ...". Returns the directory's descriptor.
Result<Fd> open_state_dir(const std::string& dir);

// Opens `name` in the directory `dir_fd` with `flags` plus O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
// (mode 0600 when created) and checks it is a regular file, so a planted link, FIFO or device
// is refused, never followed or blocked on. `what` and `path` name the file in errors ("journal",
// "/x/journal.wal"): a link is "refusing journal /x/journal.wal: it is a symbolic link, ...".
// Other failures keep the open's errno (ENOENT, EACCES, EEXIST...) in sys_errno.
Result<Fd> open_in_dir(int dir_fd, const char* name, int flags, std::string_view what,
                       const std::string& path);

// Writes all of `bytes` at `offset` (pwrite), retrying short writes and EINTR. Returns the errno
// of the failing write (0 on success) and how much was written before it, so the caller can
// undo a partial write.
struct WriteOutcome {
    int err = 0;
    uint64_t written = 0;
};
WriteOutcome pwrite_all(int fd, std::string_view bytes, uint64_t offset);

}  // namespace warren::journal::detail
