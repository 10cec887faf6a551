#pragma once
// Journal record framing (DESIGN §5). Pure: no I/O, no state, safe from any thread.
//
// A record on disk:
//   u32 payload_len (LE) | u32 crc32c(seq bytes ++ payload) (LE) | u64 seq (LE) | payload
// Sequence numbers start at 1 and are strictly consecutive within a file.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "warren/error.hpp"

namespace warren::journal {

inline constexpr uint64_t kRecordHeaderSize = 16;
inline constexpr uint64_t kMaxRecordPayload = 1u << 20;  // 1 MiB

struct Record {
    uint64_t seq = 0;
    std::string payload;
    friend bool operator==(const Record&, const Record&) = default;
};

// How a buffer ends.
//  clean:   every byte belongs to a valid record.
//  torn:    the valid records are followed by an unfinished/damaged record with nothing valid
//           after it (a crash mid-append, possibly zero-filled by the filesystem). Safe to cut.
//  corrupt: a bad record is followed by at least one valid record. An append-only file cannot
//           get that way by crashing, and the records after it may have been acknowledged, so
//           the caller must refuse to continue rather than cut.
enum class Tail { clean, torn, corrupt };

struct Decoded {
    std::vector<Record> records;  // the valid prefix, in order
    uint64_t valid_bytes = 0;     // length of the valid prefix
    Tail tail = Tail::clean;
    uint64_t bad_offset = 0;  // offset of the first bad record (== valid_bytes unless clean)
    std::string problem;      // what is wrong there; empty when clean
    bool zero_tail = false;   // torn only in that zero bytes follow (FileStorage's preallocation)
};

// Appends one framed record to `out`. `payload` must be at most kMaxRecordPayload bytes and
// `seq` non-zero (programmer errors: checked by assert).
void append_record(std::string& out, uint64_t seq, std::string_view payload);

// Decodes `buf` from its first byte. With `expect_first_seq` != 0 the first record must carry
// that sequence number; with 0 any non-zero first number is accepted. Never fails: the outcome
// is described by `tail`, `bad_offset` and `problem`.
//
// A bad record (length over the limit, checksum mismatch, sequence out of order, or extending
// past the end) is torn only when no valid record can be found anywhere after it. The declared
// length of a damaged record cannot be trusted, so the search scans every later offset instead
// of jumping over it: a flipped length bit in a middle record is reported as corruption, not
// mistaken for a torn tail that would silently drop everything after it. A CRC-valid record
// whose sequence number is out of order is always corrupt: a torn write cannot produce it.
Decoded decode_records(std::string_view buf, uint64_t expect_first_seq);

// Checks that `buf` holds only well-formed records numbered first_seq, first_seq+1, ...
// Returns the number of records, or Code::internal describing the first problem. Used to keep
// a caller's sequencing bug from ever reaching the disk (where it would stop the next start).
Result<uint64_t> validate_batch(std::string_view buf, uint64_t first_seq);

// Snapshot file: "WRNSNAP1" | u64 covered seq (LE) | u64 count (LE) | count records numbered
// 1..count (the record codec above, so every payload is checksummed) | u32 crc32c of all the
// preceding bytes (LE). The trailer protects the header too: a flipped bit in the covered seq
// would otherwise silently skip or replay journal records.
inline constexpr std::string_view kSnapshotMagic = "WRNSNAP1";

struct Snapshot {
    uint64_t seq = 0;                   // last journal sequence number the snapshot covers
    std::vector<std::string> payloads;  // in order
};

// Each payload must be at most kMaxRecordPayload bytes (Code::internal otherwise).
Result<std::string> encode_snapshot(uint64_t seq, const std::vector<std::string>& payloads);
// Code::decode with what is wrong when the bytes are not a whole, intact snapshot.
Result<Snapshot> decode_snapshot(std::string_view bytes);

}  // namespace warren::journal
