#pragma once
// Storage on a local filesystem: <dir>/journal.wal (append-only) and <dir>/snapshot.bin
// (replaced through <dir>/snapshot.bin.tmp).
//
// The journal file is kept zero-filled ahead of its end, in steps of kPreallocateBytes, so an
// append overwrites blocks that already exist and its fdatasync flushes data only: appending
// to the file's end would change its size, and every such sync would commit filesystem
// metadata too (about twice the time on ext4). The zero tail reads as the journal's end
// (Journal::open finds it and calls end_at_zeros).
//
// Ownership: owns the journal's file descriptor. Thread-safety: none (see Storage).
// Durability assumes a local filesystem that honours fdatasync/fsync (ext4, xfs).
#include <memory>
#include <string>

#include "journal/storage.hpp"
#include "warren/fd.hpp"

namespace warren::journal {

inline constexpr uint64_t kPreallocateBytes = 4u << 20;

class FileStorage final : public Storage {
  public:
    // Creates `dir` (mode 0700, parents too) if missing, checks it is ours
    // (detail::open_state_dir) and opens or creates the journal. Every file in `dir` is opened
    // through the directory's descriptor without following links; a link or a non-regular file
    // under one of its names is an error. Errors name the path and errno, e.g. "state directory
    // /x is not writable: Permission denied". Does not lock the directory: hold a DirLock first.
    static Result<std::unique_ptr<FileStorage>> open(const std::string& dir);

    Result<std::string> read_journal() override;
    // Retries short writes. On a write error (ENOSPC, EIO...) cuts the file back to the journal's
    // end before this call, so the journal never keeps part of a batch, then returns the error.
    // If that cut fails too, the storage refuses every later append (a restart recovers). When
    // no zero-filled room can be made (a nearly full disk), appends at the file's end.
    Status append_journal(std::string_view bytes) override;
    Status sync_journal() override;
    Status truncate_journal(uint64_t size) override;
    void end_at_zeros(uint64_t size) override { size_ = size; }
    uint64_t journal_size() const override { return size_; }
    Result<std::optional<std::string>> read_snapshot() override;
    Status write_snapshot(std::string_view bytes) override;
    std::string journal_name() const override { return journal_path_; }
    std::string snapshot_name() const override { return snapshot_path_; }

  private:
    FileStorage(std::string dir, Fd dir_fd, Fd journal, uint64_t size);
    // Zero-fills the file up to at least `end` (best effort).
    void make_room(uint64_t end);

    std::string dir_;
    std::string journal_path_;
    std::string snapshot_path_;
    Fd dir_fd_;  // the directory checked at open: later files are made through it, not by path
    Fd journal_;
    uint64_t size_ = 0;       // where the journal ends (the next append goes)
    uint64_t allocated_ = 0;  // the file's size: size_ plus the zero-filled room after it
    bool broken_ = false;  // a failed append could not be undone: the tail is unknown
};

}  // namespace warren::journal
