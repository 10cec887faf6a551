#pragma once
// The durable journal (DESIGN §5): recovery at start, appends that are durable when they
// return, and snapshot + compaction.
//
// Sequence numbers are the caller's: it frames records with append_record() numbered from
// next_seq(). append() checks the numbering before anything reaches the disk, because a gap
// written to the file would stop the next start.
//
// Ownership: owns its Storage. Thread-safety: append() and write_snapshot() from one thread at
// a time (in the agent, the GroupCommitter's thread); journal_bytes(), next_seq() and
// snapshot_seq() may be read from any thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "journal/codec.hpp"
#include "journal/storage.hpp"
#include "warren/error.hpp"

namespace warren::journal {

struct Recovered {
    std::vector<std::string> snapshot;  // payloads stored in the snapshot, in order
    uint64_t snapshot_seq = 0;          // last seq the snapshot covers (0: no snapshot)
    std::vector<Record> records;        // journal records with seq > snapshot_seq, in order
    uint64_t next_seq = 1;
    uint64_t truncated_bytes = 0;  // torn tail removed
    std::string torn_problem;      // what the torn tail looked like, for the log; empty if none
};

class Journal {
  public:
    // Loads the snapshot, decodes the journal, cuts a torn tail (durably) and finishes a
    // compaction interrupted by a crash. Refuses to start, with Code::io and a message saying
    // where and what to do, when the journal is corrupt before its end, the snapshot is damaged,
    // or records are missing between the snapshot and the journal: acknowledged state would be
    // lost otherwise.
    static Result<std::pair<std::unique_ptr<Journal>, Recovered>> open(
        std::unique_ptr<Storage> storage);

    // Writes `encoded_records` (records next_seq(), next_seq()+1, ... framed by append_record)
    // and syncs once for all of them. Success means durable. On failure nothing of the buffer
    // remains in the journal (it is cut back, durably) and next_seq() is unchanged; if even the
    // cut fails, this and every later call fail (the file's tail is unknown; a restart
    // recovers). Code::internal, without touching the disk, for a malformed or misnumbered
    // buffer. An empty buffer succeeds without I/O.
    Status append(std::string_view encoded_records);

    // Writes a snapshot covering everything up to and including `seq`, which must be the last
    // appended sequence number (next_seq() - 1; Code::internal otherwise: a snapshot that
    // covers less would lose the records after it at compaction), then truncates the journal to
    // empty. If the snapshot is written but the truncation fails, the error is returned yet the
    // state stays consistent: recovery skips journal records the snapshot covers.
    Status write_snapshot(uint64_t seq, const std::vector<std::string>& payloads);

    uint64_t journal_bytes() const { return journal_bytes_.load(std::memory_order_relaxed); }
    uint64_t next_seq() const { return next_seq_.load(std::memory_order_relaxed); }
    uint64_t snapshot_seq() const { return snapshot_seq_.load(std::memory_order_relaxed); }

  private:
    Journal(std::unique_ptr<Storage> storage, uint64_t next_seq, uint64_t snapshot_seq);
    Status cut_back(uint64_t size, Error cause);

    std::unique_ptr<Storage> storage_;
    std::atomic<uint64_t> next_seq_;
    std::atomic<uint64_t> snapshot_seq_;
    std::atomic<uint64_t> journal_bytes_;
    std::string broken_;  // why appends are refused; empty while healthy
};

}  // namespace warren::journal
