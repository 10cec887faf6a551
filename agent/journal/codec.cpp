#include "journal/codec.hpp"

#include <bit>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "journal/crc32c.hpp"
#include "warren/bytes.hpp"

namespace warren::journal {
namespace {

std::string hex32(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
}

struct Frame {
    uint32_t len = 0;
    uint64_t seq = 0;
    uint64_t end = 0;     // offset just past the payload
    std::string problem;  // empty when the frame is intact (length fits, checksum matches)
};

// Examines the frame at `off` without judging its sequence number.
Frame examine(std::string_view buf, uint64_t off) {
    Frame f;
    const uint64_t avail = buf.size() - off;
    if (avail < kRecordHeaderSize) {
        f.problem = "incomplete record header (" + std::to_string(avail) + " of " +
                    std::to_string(kRecordHeaderSize) + " bytes)";
        return f;
    }
    const char* p = buf.data() + off;
    f.len = load_le<uint32_t>(p);
    const auto stored_crc = load_le<uint32_t>(p + 4);
    f.seq = load_le<uint64_t>(p + 8);
    f.end = off + kRecordHeaderSize + f.len;
    if (f.len > kMaxRecordPayload) {
        f.problem = "record length " + std::to_string(f.len) + " exceeds the limit of " +
                    std::to_string(kMaxRecordPayload) + " bytes";
    } else if (f.end > buf.size()) {
        f.problem = "record of " + std::to_string(f.len) + " payload bytes extends past the end (" +
                    std::to_string(avail - kRecordHeaderSize) + " available)";
    } else if (const uint32_t crc = crc32c(p + 8, 8 + f.len); crc != stored_crc) {
        f.problem = "checksum mismatch (stored " + hex32(stored_crc) + ", computed " + hex32(crc) +
                    ", seq field " + std::to_string(f.seq) + ")";
    }
    return f;
}

bool all_zero(std::string_view s) {
    for (char c : s)
        if (c != 0) return false;
    return true;
}

// Looks for an intact record starting anywhere after `bad_off` that could be a real successor of
// the record numbered `prev` (0: unknown). Each record takes at least a header, which bounds how
// far the sequence can have advanced; that bound keeps random bytes from being mistaken for a
// record and keeps the scan cheap (a checksum is computed only for plausible headers).
std::optional<std::pair<uint64_t, uint64_t>> find_valid_after(std::string_view buf,
                                                              uint64_t bad_off, uint64_t prev) {
    for (uint64_t off = bad_off + 1; off + kRecordHeaderSize <= buf.size(); ++off) {
        const char* p = buf.data() + off;
        const auto len = load_le<uint32_t>(p);
        const auto seq = load_le<uint64_t>(p + 8);
        if (len > kMaxRecordPayload || off + kRecordHeaderSize + len > buf.size()) continue;
        if (seq == 0) continue;
        if (prev != 0 && (seq <= prev || seq > prev + 2 + (off - bad_off) / kRecordHeaderSize))
            continue;
        if (examine(buf, off).problem.empty()) return std::pair{off, seq};
    }
    return std::nullopt;
}

}  // namespace

void append_record(std::string& out, uint64_t seq, std::string_view payload) {
    assert(seq != 0 && payload.size() <= kMaxRecordPayload);
    char header[kRecordHeaderSize];
    store_le<uint32_t>(header, static_cast<uint32_t>(payload.size()));
    store_le<uint64_t>(header + 8, seq);
    store_le<uint32_t>(header + 4, crc32c(payload.data(), payload.size(), crc32c(header + 8, 8)));
    out.reserve(out.size() + sizeof header + payload.size());
    out.append(header, sizeof header);
    out.append(payload);
}

Decoded decode_records(std::string_view buf, uint64_t expect_first_seq) {
    Decoded d;
    uint64_t prev = expect_first_seq == 0 ? 0 : expect_first_seq - 1;
    bool have_prev = expect_first_seq != 0;
    uint64_t off = 0;
    while (off < buf.size()) {
        Frame f = examine(buf, off);
        if (f.problem.empty()) {
            const bool in_order = f.seq != 0 && (!have_prev || f.seq == prev + 1);
            if (!in_order) {
                d.tail = Tail::corrupt;
                d.bad_offset = off;
                d.problem = "record has sequence number " + std::to_string(f.seq) +
                            (have_prev ? ", expected " + std::to_string(prev + 1)
                                       : std::string(", which is never valid"));
                break;
            }
            d.records.push_back(
                Record{f.seq, std::string(buf.substr(off + kRecordHeaderSize, f.len))});
            prev = f.seq;
            have_prev = true;
            off = f.end;
            continue;
        }
        d.bad_offset = off;
        if (all_zero(buf.substr(off))) {
            d.tail = Tail::torn;
            d.zero_tail = true;
            d.problem = std::to_string(buf.size() - off) + " zero bytes after the last record";
        } else if (auto next = find_valid_after(buf, off, have_prev ? prev : 0)) {
            d.tail = Tail::corrupt;
            d.problem = f.problem + "; an intact record (seq " + std::to_string(next->second) +
                        ") follows at byte offset " + std::to_string(next->first);
        } else {
            d.tail = Tail::torn;
            d.problem = f.problem;
        }
        break;
    }
    d.valid_bytes = off;
    if (d.tail == Tail::clean) d.bad_offset = off;
    return d;
}

Result<uint64_t> validate_batch(std::string_view buf, uint64_t first_seq) {
    uint64_t off = 0;
    uint64_t n = 0;
    while (off < buf.size()) {
        Frame f = examine(buf, off);
        if (!f.problem.empty())
            return fail(Code::internal, "malformed journal batch at byte " + std::to_string(off) +
                                            ": " + f.problem);
        if (f.seq != first_seq + n)
            return fail(Code::internal, "journal batch record " + std::to_string(n) +
                                            " has sequence number " + std::to_string(f.seq) +
                                            ", expected " + std::to_string(first_seq + n));
        off = f.end;
        ++n;
    }
    return n;
}

Result<std::string> encode_snapshot(uint64_t seq, const std::vector<std::string>& payloads) {
    std::string out;
    size_t total = kSnapshotMagic.size() + 16 + 4;
    for (const auto& p : payloads) {
        if (p.size() > kMaxRecordPayload)
            return fail(Code::internal, "snapshot entry of " + std::to_string(p.size()) +
                                            " bytes exceeds the record limit");
        total += kRecordHeaderSize + p.size();
    }
    out.reserve(total);
    out.append(kSnapshotMagic);
    char b[16];
    store_le<uint64_t>(b, seq);
    store_le<uint64_t>(b + 8, payloads.size());
    out.append(b, sizeof b);
    uint64_t n = 0;
    for (const auto& p : payloads) append_record(out, ++n, p);
    store_le<uint32_t>(b, crc32c(out.data(), out.size()));
    out.append(b, 4);
    return out;
}

Result<Snapshot> decode_snapshot(std::string_view bytes) {
    const size_t head = kSnapshotMagic.size() + 16;
    if (!bytes.starts_with(kSnapshotMagic))
        return fail(Code::decode,
                    "bad magic: not a warren snapshot, or its first bytes are damaged");
    if (bytes.size() < head + 4)
        return fail(Code::decode, "file is too short (" + std::to_string(bytes.size()) +
                                      " bytes, at least " + std::to_string(head + 4) + " needed)");
    const auto body = bytes.substr(0, bytes.size() - 4);
    Snapshot s;
    s.seq = load_le<uint64_t>(bytes.data() + kSnapshotMagic.size());
    const auto count = load_le<uint64_t>(bytes.data() + kSnapshotMagic.size() + 8);
    Decoded d = decode_records(body.substr(head), 1);
    if (d.tail != Tail::clean)
        return fail(Code::decode, "entry " + std::to_string(d.records.size() + 1) +
                                      " at byte offset " + std::to_string(head + d.bad_offset) +
                                      ": " + d.problem);
    if (d.records.size() != count)
        return fail(Code::decode, "header announces " + std::to_string(count) +
                                      " entries but the file holds " +
                                      std::to_string(d.records.size()));
    if (const uint32_t stored = load_le<uint32_t>(body.data() + body.size()),
        computed = crc32c(body.data(), body.size());
        stored != computed)
        return fail(Code::decode, "file checksum mismatch (stored " + hex32(stored) +
                                      ", computed " + hex32(computed) + ")");
    s.payloads.reserve(d.records.size());
    for (auto& r : d.records) s.payloads.push_back(std::move(r.payload));
    return s;
}

}  // namespace warren::journal
