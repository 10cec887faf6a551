#include "journal/codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace warren::journal {
namespace {

struct Built {
    std::string bytes;
    std::vector<uint64_t> offsets;  // start of each record
    std::vector<Record> records;
};

Built build(uint64_t first_seq, const std::vector<std::string>& payloads) {
    Built b;
    uint64_t seq = first_seq;
    for (const auto& p : payloads) {
        b.offsets.push_back(b.bytes.size());
        append_record(b.bytes, seq, p);
        b.records.push_back({seq++, p});
    }
    return b;
}

const std::vector<std::string> kPayloads = {"alloc 10.0.0.2", "", std::string("\0\1\2\0", 4),
                                            std::string(1000, 'x'), "release 10.0.0.2"};

TEST(Codec, FrameLayout) {
    std::string out;
    append_record(out, 0x0102030405060708ull, "hi");
    ASSERT_EQ(out.size(), kRecordHeaderSize + 2);
    EXPECT_EQ(out.substr(0, 4), std::string("\x02\0\0\0", 4));                     // length, LE
    EXPECT_EQ(out.substr(8, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01"));  // seq, LE
    EXPECT_EQ(out.substr(16), "hi");
}

TEST(Codec, RoundTrip) {
    const Built b = build(7, kPayloads);
    const Decoded d = decode_records(b.bytes, 7);
    EXPECT_EQ(d.tail, Tail::clean);
    EXPECT_EQ(d.records, b.records);
    EXPECT_EQ(d.valid_bytes, b.bytes.size());
    EXPECT_TRUE(d.problem.empty());
    // Without an expected first number any start is accepted.
    EXPECT_EQ(decode_records(b.bytes, 0).records, b.records);
}

TEST(Codec, EmptyBufferIsClean) {
    const Decoded d = decode_records("", 1);
    EXPECT_EQ(d.tail, Tail::clean);
    EXPECT_TRUE(d.records.empty());
    EXPECT_EQ(d.valid_bytes, 0u);
}

TEST(Codec, EveryTruncationPointIsTornAndKeepsCompleteRecords) {
    const Built b = build(1, kPayloads);
    for (uint64_t cut = 0; cut <= b.bytes.size(); ++cut) {
        const Decoded d = decode_records(std::string_view(b.bytes).substr(0, cut), 1);
        size_t complete = 0;
        while (complete < b.records.size() &&
               (complete + 1 == b.offsets.size() ? b.bytes.size() : b.offsets[complete + 1]) <= cut)
            ++complete;
        ASSERT_NE(d.tail, Tail::corrupt) << "cut at " << cut << ": " << d.problem;
        ASSERT_EQ(d.records.size(), complete) << "cut at " << cut;
        const uint64_t boundary = complete == 0                  ? 0
                                  : complete == b.offsets.size() ? b.bytes.size()
                                                                 : b.offsets[complete];
        EXPECT_EQ(d.valid_bytes, boundary) << "cut at " << cut;
        EXPECT_EQ(d.tail, cut == boundary ? Tail::clean : Tail::torn) << "cut at " << cut;
        if (d.tail == Tail::torn) {
            EXPECT_EQ(d.bad_offset, boundary);
            EXPECT_FALSE(d.problem.empty());
        }
    }
}

TEST(Codec, ZeroFilledTailIsTorn) {
    Built b = build(1, kPayloads);
    const uint64_t end = b.bytes.size();
    b.bytes.append(8192, '\0');
    const Decoded d = decode_records(b.bytes, 1);
    EXPECT_EQ(d.tail, Tail::torn);
    EXPECT_EQ(d.records, b.records);
    EXPECT_EQ(d.valid_bytes, end);
    EXPECT_NE(d.problem.find("zero bytes"), std::string::npos) << d.problem;
}

TEST(Codec, LastRecordZeroedAfterItsHeaderIsTorn) {
    // The header reached the disk, the payload's blocks did not (read back as zeros).
    Built b = build(1, kPayloads);
    const uint64_t last = b.offsets.back();
    for (uint64_t i = last + kRecordHeaderSize; i < b.bytes.size(); ++i) b.bytes[i] = '\0';
    b.bytes.append(100, '\0');
    const Decoded d = decode_records(b.bytes, 1);
    EXPECT_EQ(d.tail, Tail::torn) << d.problem;
    EXPECT_EQ(d.records.size(), kPayloads.size() - 1);
    EXPECT_EQ(d.bad_offset, last);
}

TEST(Codec, FlippedByteInLastRecordIsTorn) {
    const Built b = build(1, kPayloads);
    const uint64_t last = b.offsets.back();
    for (uint64_t i = last; i < b.bytes.size(); ++i) {
        std::string bad = b.bytes;
        bad[i] ^= 0x5A;
        const Decoded d = decode_records(bad, 1);
        ASSERT_EQ(d.tail, Tail::torn) << "byte " << i << ": " << d.problem;
        EXPECT_EQ(d.records.size(), kPayloads.size() - 1);
        EXPECT_EQ(d.bad_offset, last);
    }
}

TEST(Codec, FlippedByteInMiddleRecordIsCorruptAtItsOffset) {
    const Built b = build(1, kPayloads);
    const uint64_t victim = b.offsets[3];  // the 1000-byte record, two records before the end
    for (uint64_t i = victim; i < b.offsets[4]; ++i) {
        std::string bad = b.bytes;
        bad[i] ^= 0x01;
        const Decoded d = decode_records(bad, 1);
        ASSERT_EQ(d.tail, Tail::corrupt) << "byte " << i << ": " << d.problem;
        EXPECT_EQ(d.bad_offset, victim);
        EXPECT_EQ(d.records.size(), 3u);
        EXPECT_NE(d.problem.find("follows at byte offset " + std::to_string(b.offsets[4])),
                  std::string::npos)
            << d.problem;
    }
}

TEST(Codec, HugeLengthInMiddleRecordIsCorruptNotTorn) {
    // A damaged length pointing past the end must not make the rest of the file look torn.
    const Built b = build(1, kPayloads);
    std::string bad = b.bytes;
    bad[b.offsets[1] + 2] = '\x7F';  // length ~8 MiB
    const Decoded d = decode_records(bad, 1);
    EXPECT_EQ(d.tail, Tail::corrupt);
    EXPECT_EQ(d.bad_offset, b.offsets[1]);
    EXPECT_NE(d.problem.find("exceeds the limit"), std::string::npos) << d.problem;
}

TEST(Codec, ChecksumProblemIsDescribed) {
    const Built b = build(1, kPayloads);
    std::string bad = b.bytes;
    bad[b.offsets[0] + kRecordHeaderSize] ^= 0x01;  // first payload byte
    const Decoded d = decode_records(bad, 1);
    EXPECT_EQ(d.tail, Tail::corrupt);
    EXPECT_EQ(d.bad_offset, 0u);
    EXPECT_TRUE(d.records.empty());
    EXPECT_NE(d.problem.find("checksum mismatch"), std::string::npos) << d.problem;
}

TEST(Codec, SequenceGapIsCorrupt) {
    std::string buf;
    append_record(buf, 1, "a");
    append_record(buf, 2, "b");
    const uint64_t gap_at = buf.size();
    append_record(buf, 4, "d");
    append_record(buf, 5, "e");
    const Decoded d = decode_records(buf, 1);
    EXPECT_EQ(d.tail, Tail::corrupt);
    EXPECT_EQ(d.bad_offset, gap_at);
    EXPECT_EQ(d.records.size(), 2u);
    EXPECT_NE(d.problem.find("sequence number 4, expected 3"), std::string::npos) << d.problem;
}

TEST(Codec, OutOfOrderLastRecordIsCorruptToo) {
    // A torn write cannot produce a record whose checksum matches, so a misnumbered record is
    // damage (or a bug) even at the very end, and was possibly acknowledged.
    std::string buf;
    append_record(buf, 1, "a");
    append_record(buf, 1, "a again");
    const Decoded d = decode_records(buf, 0);
    EXPECT_EQ(d.tail, Tail::corrupt);
    EXPECT_EQ(d.records.size(), 1u);
}

TEST(Codec, UnexpectedFirstSequenceIsCorrupt) {
    std::string buf;
    append_record(buf, 5, "a");
    const Decoded d = decode_records(buf, 1);
    EXPECT_EQ(d.tail, Tail::corrupt);
    EXPECT_EQ(d.bad_offset, 0u);
}

TEST(Codec, GarbageAfterLastRecordIsTorn) {
    Built b = build(1, kPayloads);
    const uint64_t end = b.bytes.size();
    b.bytes += "\x13\x37garbage that is not a record at all......";
    const Decoded d = decode_records(b.bytes, 1);
    EXPECT_EQ(d.tail, Tail::torn) << d.problem;
    EXPECT_EQ(d.valid_bytes, end);
}

TEST(Codec, ValidateBatch) {
    const Built b = build(10, kPayloads);
    auto n = validate_batch(b.bytes, 10);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, kPayloads.size());
    auto wrong = validate_batch(b.bytes, 9);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Code::internal);
    EXPECT_FALSE(validate_batch(std::string_view(b.bytes).substr(0, b.bytes.size() - 1), 10));
    EXPECT_EQ(*validate_batch("", 3), 0u);
}

TEST(Codec, SnapshotRoundTrip) {
    auto bytes = encode_snapshot(42, kPayloads);
    ASSERT_TRUE(bytes);
    EXPECT_TRUE(bytes->starts_with("WRNSNAP1"));
    auto s = decode_snapshot(*bytes);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->seq, 42u);
    EXPECT_EQ(s->payloads, kPayloads);

    auto empty = decode_snapshot(*encode_snapshot(0, {}));
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->seq, 0u);
    EXPECT_TRUE(empty->payloads.empty());
}

TEST(Codec, DamagedSnapshotIsRejected) {
    const std::string good = *encode_snapshot(9, kPayloads);
    for (size_t cut = 0; cut < good.size(); ++cut)
        ASSERT_FALSE(decode_snapshot(std::string_view(good).substr(0, cut))) << "cut " << cut;
    for (size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] ^= 0x10;
        ASSERT_FALSE(decode_snapshot(bad)) << "byte " << i;
    }
    std::string extra = good.substr(0, good.size() - 4);
    append_record(extra, kPayloads.size() + 1, "one more than the header announces");
    extra += good.substr(good.size() - 4);
    auto e = decode_snapshot(extra);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("announces"), std::string::npos) << e.error().message;
}

}  // namespace
}  // namespace warren::journal
