#pragma once
// The journal's I/O seam (DESIGN §10): the journal and the group committer talk to the disk only
// through this, so recovery and failure handling are unit-tested with a fake
// (tests/support/fake_storage.hpp). The real implementation is FileStorage.
//
// Thread-safety: none. An instance is used by one thread at a time (the Journal's owner).
// Errors: every operation returns an Error with the path and errno; none throws.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "warren/error.hpp"

namespace warren::journal {

class Storage {
  public:
    virtual ~Storage() = default;

    // The whole journal as it is now.
    virtual Result<std::string> read_journal() = 0;
    // Appends all of `bytes` or fails; on failure the journal is left at its previous size
    // (or, if even that could not be restored, every later append fails too).
    virtual Status append_journal(std::string_view bytes) = 0;
    // Makes every appended byte durable (fdatasync).
    virtual Status sync_journal() = 0;
    // Cuts the journal to `size` bytes, durably (ftruncate + fdatasync).
    virtual Status truncate_journal(uint64_t size) = 0;
    // The bytes from `size` on are zeros (room made ahead of the journal, or blocks a crash left
    // unwritten): the journal ends at `size` and the next append goes there. No I/O.
    virtual void end_at_zeros(uint64_t size) = 0;
    virtual uint64_t journal_size() const = 0;

    // The last snapshot written, or nullopt when none was ever written.
    virtual Result<std::optional<std::string>> read_snapshot() = 0;
    // Replaces the snapshot atomically and durably: after a crash at any instant the old or the
    // new snapshot is there, whole (temp file, fsync, rename, fsync of the directory).
    virtual Status write_snapshot(std::string_view bytes) = 0;

    // Where the journal and the snapshot live, for messages ("/var/lib/warren/journal.wal").
    virtual std::string journal_name() const = 0;
    virtual std::string snapshot_name() const = 0;
};

}  // namespace warren::journal
