#pragma once
// Exclusive ownership of a state directory (DESIGN §5), so two agents never share a journal.
//
// An flock(2) on <dir>/LOCK, held for the lifetime of the object and released by the kernel when
// the process dies, so a crash never leaves a stale lock. The file holds the owner's pid for
// the error message of the next would-be owner; the file itself is never removed (removing it
// would let two processes lock two different inodes).
//
// Ownership: owns the lock file's descriptor; move-only. Thread-safety: none needed after
// acquire. Note that flock is per open file description: a second acquire in the same process
// fails too, which is what the tests rely on.
#include <string>

#include "warren/error.hpp"
#include "warren/fd.hpp"

namespace warren::journal {

class DirLock {
  public:
    // Creates `dir` (0700, parents too) if missing, checks it is ours (detail::open_state_dir),
    // then locks it without waiting. LOCK is opened without following a link.
    // Errors: Code::unavailable "state directory <dir> is in use by another warrend (pid N)"
    // when held elsewhere; Code::invalid_config for a directory that is not ours; Code::io with
    // path and errno otherwise.
    static Result<DirLock> acquire(const std::string& dir);

    DirLock(DirLock&&) noexcept = default;
    DirLock& operator=(DirLock&&) noexcept = default;
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;
    ~DirLock() = default;  // closing the descriptor releases the lock

    const std::string& dir() const { return dir_; }

  private:
    DirLock(std::string dir, Fd fd) : dir_(std::move(dir)), fd_(std::move(fd)) {}

    std::string dir_;
    Fd fd_;
};

}  // namespace warren::journal
