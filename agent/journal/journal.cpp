#include "journal/journal.hpp"

#include <algorithm>

namespace warren::journal {

Journal::Journal(std::unique_ptr<Storage> storage, uint64_t next_seq, uint64_t snapshot_seq)
    : storage_(std::move(storage)),
      next_seq_(next_seq),
      snapshot_seq_(snapshot_seq),
      journal_bytes_(storage_->journal_size()) {}

Result<std::pair<std::unique_ptr<Journal>, Recovered>> Journal::open(
    std::unique_ptr<Storage> storage) {
    Recovered rec;

    auto snap_bytes = storage->read_snapshot();
    if (!snap_bytes) return std::unexpected(snap_bytes.error());
    if (*snap_bytes) {
        auto snap = decode_snapshot(**snap_bytes);
        if (!snap)
            return fail(Code::io,
                        "snapshot " + storage->snapshot_name() +
                            " is damaged: " + snap.error().message +
                            "; refusing to start. It is only ever replaced by an atomic rename, "
                            "so this is damage to the file, not a crash: restore it from a backup, "
                            "or move the whole state directory aside to start empty (every "
                            "allocation it records would be forgotten)");
        rec.snapshot_seq = snap->seq;
        rec.snapshot = std::move(snap->payloads);
    }

    auto buf = storage->read_journal();
    if (!buf) return std::unexpected(buf.error());
    Decoded d = decode_records(*buf, 0);
    if (d.tail == Tail::corrupt)
        return fail(Code::io,
                    "journal " + storage->journal_name() + " is corrupt at byte offset " +
                        std::to_string(d.bad_offset) + ": " + d.problem +
                        "; refusing to start (acknowledged allocations would be lost). Move the "
                        "file aside to start from the snapshot alone, or cut it at that offset "
                        "(truncate -s " +
                        std::to_string(d.bad_offset) + ") to keep the " +
                        std::to_string(d.records.size()) +
                        " records before it; either way "
                        "the state recorded after that point is forgotten");
    if (!d.records.empty() && d.records.front().seq > rec.snapshot_seq + 1) {
        const std::string covered = rec.snapshot_seq == 0 ? "there is no snapshot"
                                                          : "the snapshot covers only up to " +
                                                                std::to_string(rec.snapshot_seq);
        return fail(Code::io, "journal " + storage->journal_name() + " starts at record " +
                                  std::to_string(d.records.front().seq) + " but " + covered +
                                  ": records are missing; refusing to start (was the snapshot " +
                                  storage->snapshot_name() + " removed?)");
    }

    if (d.tail == Tail::torn && d.zero_tail) {
        // Zeros after the last record are the storage's preallocated room, or blocks a crash
        // left unwritten: nothing in them was acknowledged, nothing to report or cut.
        storage->end_at_zeros(d.valid_bytes);
    } else if (d.tail == Tail::torn) {
        rec.truncated_bytes = buf->find_last_not_of('\0') + 1 - d.valid_bytes;
        rec.torn_problem = std::move(d.problem);
        if (auto st = storage->truncate_journal(d.valid_bytes); !st)
            return std::unexpected(st.error());
    }

    const uint64_t last = d.records.empty() ? 0 : d.records.back().seq;
    rec.next_seq = std::max(rec.snapshot_seq, last) + 1;
    std::erase_if(d.records, [&](const Record& r) { return r.seq <= rec.snapshot_seq; });
    rec.records = std::move(d.records);
    // A crash between the snapshot's rename and the journal's truncation leaves records the
    // snapshot already covers; finish that compaction now.
    if (rec.records.empty() && storage->journal_size() > 0) {
        if (auto st = storage->truncate_journal(0); !st) return std::unexpected(st.error());
    }

    const uint64_t snapshot_seq = rec.snapshot_seq;
    auto journal =
        std::unique_ptr<Journal>(new Journal(std::move(storage), rec.next_seq, snapshot_seq));
    return std::pair{std::move(journal), std::move(rec)};
}

Status Journal::cut_back(uint64_t size, Error cause) {
    if (auto st = storage_->truncate_journal(size); !st) {
        broken_ = "a failed write (" + cause.describe() + ") could not be undone (" +
                  st.error().describe() + ")";
        cause.details = broken_;
    }
    journal_bytes_.store(storage_->journal_size(), std::memory_order_relaxed);
    return std::unexpected(std::move(cause));
}

Status Journal::append(std::string_view encoded_records) {
    if (!broken_.empty())
        return fail(Code::io, "journal " + storage_->journal_name() + " refuses writes: " +
                                  broken_ + "; restart warrend to recover it");
    if (encoded_records.empty()) return {};
    const uint64_t first = next_seq_.load(std::memory_order_relaxed);
    auto count = validate_batch(encoded_records, first);
    if (!count) return std::unexpected(count.error());

    const uint64_t before = storage_->journal_size();
    if (auto st = storage_->append_journal(encoded_records); !st)
        return cut_back(before, std::move(st.error()));
    // After a failed fdatasync the written pages' fate is unknown (they may reach the disk later
    // or never), so the batch is cut off rather than retried: the caller is told it failed, and
    // a record it rolled back must not resurface at the next start.
    if (auto st = storage_->sync_journal(); !st) return cut_back(before, std::move(st.error()));

    next_seq_.store(first + *count, std::memory_order_relaxed);
    journal_bytes_.store(storage_->journal_size(), std::memory_order_relaxed);
    return {};
}

Status Journal::write_snapshot(uint64_t seq, const std::vector<std::string>& payloads) {
    if (!broken_.empty())
        return fail(Code::io, "journal " + storage_->journal_name() + " refuses writes: " +
                                  broken_ + "; restart warrend to recover it");
    const uint64_t last = next_seq_.load(std::memory_order_relaxed) - 1;
    if (seq != last)
        return fail(Code::internal, "snapshot at seq " + std::to_string(seq) +
                                        " does not match the last journaled seq " +
                                        std::to_string(last));
    auto bytes = encode_snapshot(seq, payloads);
    if (!bytes) return std::unexpected(bytes.error());
    if (auto st = storage_->write_snapshot(*bytes); !st) return st;
    snapshot_seq_.store(seq, std::memory_order_relaxed);

    auto st = storage_->truncate_journal(0);
    journal_bytes_.store(storage_->journal_size(), std::memory_order_relaxed);
    if (!st) {
        Error e = std::move(st.error());
        e.details =
            "the snapshot was written; the journal keeps records it covers, which "
            "recovery skips";
        return std::unexpected(std::move(e));
    }
    return {};
}

}  // namespace warren::journal
