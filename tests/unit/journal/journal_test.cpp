// Journal recovery, append and snapshot behaviour over the in-memory FakeStorage.
#include "journal/journal.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/fake_storage.hpp"

namespace warren::journal {
namespace {

using testing::FakeDisk;
using testing::FakeStorage;

struct Opened {
    std::unique_ptr<Journal> journal;
    Recovered rec;
};

Opened open_on(const std::shared_ptr<FakeDisk>& disk) {
    auto r = Journal::open(std::make_unique<FakeStorage>(disk));
    EXPECT_TRUE(r) << (r ? "" : r.error().describe());
    if (!r) return {};
    return {std::move(r->first), std::move(r->second)};
}

std::string batch(uint64_t first_seq, const std::vector<std::string>& payloads) {
    std::string out;
    for (const auto& p : payloads) append_record(out, first_seq++, p);
    return out;
}

std::vector<Record> recs(uint64_t first_seq, const std::vector<std::string>& payloads) {
    std::vector<Record> out;
    for (const auto& p : payloads) out.push_back({first_seq++, p});
    return out;
}

TEST(Journal, OpensEmpty) {
    auto disk = std::make_shared<FakeDisk>();
    auto o = open_on(disk);
    ASSERT_TRUE(o.journal);
    EXPECT_EQ(o.rec.next_seq, 1u);
    EXPECT_EQ(o.rec.snapshot_seq, 0u);
    EXPECT_TRUE(o.rec.records.empty());
    EXPECT_TRUE(o.rec.snapshot.empty());
    EXPECT_EQ(o.journal->journal_bytes(), 0u);
}

TEST(Journal, AppendThenReopenReplaysEverything) {
    auto disk = std::make_shared<FakeDisk>();
    {
        auto o = open_on(disk);
        ASSERT_TRUE(o.journal->append(batch(1, {"a", "b"})));
        ASSERT_TRUE(o.journal->append(batch(3, {"c"})));
        EXPECT_EQ(o.journal->next_seq(), 4u);
        EXPECT_EQ(o.journal->journal_bytes(), disk->journal().size());
        EXPECT_EQ(disk->syncs(), 2u);  // one per append, however many records
    }
    auto o = open_on(disk);
    EXPECT_EQ(o.rec.records, recs(1, {"a", "b", "c"}));
    EXPECT_EQ(o.rec.next_seq, 4u);
    EXPECT_EQ(o.rec.truncated_bytes, 0u);
    ASSERT_TRUE(o.journal->append(batch(4, {"d"})));
}

TEST(Journal, MisnumberedBatchIsRejectedBeforeTheDisk) {
    auto disk = std::make_shared<FakeDisk>();
    auto o = open_on(disk);
    ASSERT_TRUE(o.journal->append(batch(1, {"a"})));
    for (const std::string& bad : {batch(1, {"dup"}), batch(3, {"gap"}), std::string("junk")}) {
        auto st = o.journal->append(bad);
        ASSERT_FALSE(st);
        EXPECT_EQ(st.error().code, Code::internal);
    }
    EXPECT_EQ(disk->appends(), 1u);
    EXPECT_EQ(open_on(disk).rec.records, recs(1, {"a"}));
}

TEST(Journal, TornTailIsCutOnOpenAndAppendsContinue) {
    auto disk = std::make_shared<FakeDisk>();
    {
        auto o = open_on(disk);
        ASSERT_TRUE(o.journal->append(batch(1, {"a", "b"})));
    }
    const std::string good = disk->journal();
    // A batch whose write was cut by the crash: one whole record and a piece of the next.
    const std::string next = batch(3, {"c", "dddddddd"});
    const uint64_t keep = next.size() - 5;
    disk->set_journal(good);
    {
        FakeStorage raw(disk);
        ASSERT_TRUE(raw.append_journal(next));
    }
    disk->crash(keep);

    auto o = open_on(disk);
    EXPECT_EQ(o.rec.records, recs(1, {"a", "b", "c"}));  // a whole record of the batch survives
    EXPECT_EQ(o.rec.next_seq, 4u);
    EXPECT_EQ(o.rec.truncated_bytes, keep - (kRecordHeaderSize + 1));
    EXPECT_FALSE(o.rec.torn_problem.empty());
    EXPECT_EQ(disk->journal(), good + batch(3, {"c"}));  // cut durably on the disk
    ASSERT_TRUE(o.journal->append(batch(4, {"d"})));
    EXPECT_EQ(open_on(disk).rec.records, recs(1, {"a", "b", "c", "d"}));
}

// Zeros are the storage's preallocated room (or blocks a crash left unwritten): cut without a
// torn-tail report.
TEST(Journal, ZeroFilledTailIsCutSilently) {
    auto disk = std::make_shared<FakeDisk>();
    disk->set_journal(batch(1, {"a"}) + std::string(4096, '\0'));
    auto o = open_on(disk);
    EXPECT_EQ(o.rec.records, recs(1, {"a"}));
    EXPECT_EQ(o.rec.truncated_bytes, 0u);
    EXPECT_TRUE(o.rec.torn_problem.empty());
    EXPECT_EQ(disk->journal(), batch(1, {"a"}));
}

TEST(Journal, CorruptMiddleRefusesToStartAndLeavesTheFileAlone) {
    auto disk = std::make_shared<FakeDisk>();
    std::string bytes = batch(1, {"first", "second", "third"});
    const uint64_t second_at = kRecordHeaderSize + 5;
    bytes[second_at + kRecordHeaderSize + 2] ^= 0x20;  // inside "second"
    disk->set_journal(bytes);

    auto r = Journal::open(std::make_unique<FakeStorage>(disk));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::io);
    const std::string& msg = r.error().message;
    EXPECT_NE(msg.find("journal fake:journal.wal is corrupt at byte offset " +
                       std::to_string(second_at) + ": checksum mismatch"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("refusing to start"), std::string::npos) << msg;
    EXPECT_EQ(disk->journal(), bytes);
}

TEST(Journal, MissingRecordsBeforeTheJournalRefuse) {
    auto disk = std::make_shared<FakeDisk>();
    disk->set_journal(batch(5, {"e"}));  // no snapshot: 1..4 are gone
    auto r = Journal::open(std::make_unique<FakeStorage>(disk));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("records are missing"), std::string::npos)
        << r.error().message;

    disk->set_snapshot(*encode_snapshot(3, {"x"}));  // covers up to 3: 4 still missing
    EXPECT_FALSE(Journal::open(std::make_unique<FakeStorage>(disk)));
    disk->set_snapshot(*encode_snapshot(4, {"x"}));
    EXPECT_TRUE(Journal::open(std::make_unique<FakeStorage>(disk)));
}

TEST(Journal, SnapshotCompactsAndReopens) {
    auto disk = std::make_shared<FakeDisk>();
    {
        auto o = open_on(disk);
        ASSERT_TRUE(o.journal->append(batch(1, {"a", "b", "c"})));
        ASSERT_TRUE(o.journal->write_snapshot(3, {"state-1", "state-2"}));
        EXPECT_EQ(disk->journal(), "");
        EXPECT_EQ(o.journal->journal_bytes(), 0u);
        EXPECT_EQ(o.journal->snapshot_seq(), 3u);
        ASSERT_TRUE(o.journal->append(batch(4, {"d"})));
    }
    auto o = open_on(disk);
    EXPECT_EQ(o.rec.snapshot, (std::vector<std::string>{"state-1", "state-2"}));
    EXPECT_EQ(o.rec.snapshot_seq, 3u);
    EXPECT_EQ(o.rec.records, recs(4, {"d"}));
    EXPECT_EQ(o.rec.next_seq, 5u);
}

TEST(Journal, SnapshotMustCoverEverythingJournaled) {
    auto disk = std::make_shared<FakeDisk>();
    auto o = open_on(disk);
    ASSERT_TRUE(o.journal->append(batch(1, {"a", "b"})));
    for (uint64_t seq : {1u, 3u}) {
        auto st = o.journal->write_snapshot(seq, {"x"});
        ASSERT_FALSE(st);
        EXPECT_EQ(st.error().code, Code::internal);
    }
    EXPECT_EQ(disk->snapshot_writes(), 0u);
    EXPECT_EQ(disk->journal(), batch(1, {"a", "b"}));
}

TEST(Journal, CrashBetweenSnapshotAndTruncationSkipsCoveredRecords) {
    auto disk = std::make_shared<FakeDisk>();
    {
        auto o = open_on(disk);
        ASSERT_TRUE(o.journal->append(batch(1, {"a", "b", "c"})));
        disk->fail_next_truncates(1);  // the snapshot lands, the compaction does not
        EXPECT_FALSE(o.journal->write_snapshot(3, {"S"}));
        EXPECT_TRUE(disk->snapshot().has_value());
        EXPECT_EQ(disk->journal(), batch(1, {"a", "b", "c"}));
    }
    {
        auto o = open_on(disk);
        EXPECT_EQ(o.rec.snapshot, std::vector<std::string>{"S"});
        EXPECT_TRUE(o.rec.records.empty());
        EXPECT_EQ(o.rec.next_seq, 4u);
        EXPECT_EQ(disk->journal(), "");  // the interrupted compaction is finished
    }
    // Snapshot at 2 while the journal holds 1..4 (crash after rename, more appended since).
    disk->set_snapshot(*encode_snapshot(2, {"S2"}));
    disk->set_journal(batch(1, {"a", "b", "c", "d"}));
    auto o = open_on(disk);
    EXPECT_EQ(o.rec.records, recs(3, {"c", "d"}));
    EXPECT_EQ(o.rec.next_seq, 5u);
    EXPECT_EQ(disk->journal(), batch(1, {"a", "b", "c", "d"}));
}

TEST(Journal, DamagedSnapshotRefusesToStart) {
    auto disk = std::make_shared<FakeDisk>();
    std::string snap = *encode_snapshot(3, {"one", "two"});
    snap[snap.size() - 8] ^= 1;
    disk->set_snapshot(snap);
    auto r = Journal::open(std::make_unique<FakeStorage>(disk));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::io);
    EXPECT_NE(r.error().message.find("snapshot fake:snapshot.bin is damaged"), std::string::npos)
        << r.error().message;
    disk->set_snapshot(snap.substr(0, snap.size() - 3));
    EXPECT_FALSE(Journal::open(std::make_unique<FakeStorage>(disk)));
}

TEST(Journal, FailedSnapshotWriteKeepsTheJournal) {
    auto disk = std::make_shared<FakeDisk>();
    auto o = open_on(disk);
    ASSERT_TRUE(o.journal->append(batch(1, {"a"})));
    disk->fail_next_snapshot_writes(1);
    EXPECT_FALSE(o.journal->write_snapshot(1, {"S"}));
    EXPECT_EQ(disk->journal(), batch(1, {"a"}));
    EXPECT_FALSE(disk->snapshot().has_value());
    ASSERT_TRUE(o.journal->append(batch(2, {"b"})));
}

TEST(Journal, NoSpaceLeavesTheJournalUnchangedAndLaterAppendsWork) {
    auto disk = std::make_shared<FakeDisk>();
    auto o = open_on(disk);
    ASSERT_TRUE(o.journal->append(batch(1, {"a"})));
    const std::string before = disk->journal();
    disk->fail_next_appends(1);
    auto st = o.journal->append(batch(2, {"b", "c"}));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys_errno, ENOSPC);
    EXPECT_EQ(disk->journal(), before);
    EXPECT_EQ(o.journal->next_seq(), 2u);
    ASSERT_TRUE(o.journal->append(batch(2, {"b2"})));
    EXPECT_EQ(open_on(disk).rec.records, recs(1, {"a", "b2"}));
}

TEST(Journal, FailedSyncCutsTheBatchBackOff) {
    auto disk = std::make_shared<FakeDisk>();
    auto o = open_on(disk);
    ASSERT_TRUE(o.journal->append(batch(1, {"a"})));
    disk->fail_next_syncs(1);
    auto st = o.journal->append(batch(2, {"rolled back"}));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys_errno, EIO);
    // The caller was told it failed, so it must not come back at the next start.
    EXPECT_EQ(disk->journal(), batch(1, {"a"}));
    ASSERT_TRUE(o.journal->append(batch(2, {"b"})));
    EXPECT_EQ(open_on(disk).rec.records, recs(1, {"a", "b"}));
}

TEST(Journal, RefusesWritesWhenAFailedBatchCannotBeUndone) {
    auto disk = std::make_shared<FakeDisk>();
    auto o = open_on(disk);
    disk->fail_next_syncs(1);
    disk->fail_next_truncates(1);
    ASSERT_FALSE(o.journal->append(batch(1, {"a"})));
    auto st = o.journal->append(batch(1, {"b"}));
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("restart warrend"), std::string::npos) << st.error().message;
    EXPECT_FALSE(o.journal->write_snapshot(0, {}));
}

}  // namespace
}  // namespace warren::journal
