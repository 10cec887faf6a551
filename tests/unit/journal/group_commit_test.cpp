#include "journal/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "journal/file_storage.hpp"
#include "support/fake_storage.hpp"
#include "support/temp_dir.hpp"

namespace warren::journal {
namespace {

using testing::FakeDisk;
using testing::FakeStorage;
using namespace std::chrono_literals;

std::unique_ptr<Journal> open_journal(const std::shared_ptr<FakeDisk>& disk) {
    auto r = Journal::open(std::make_unique<FakeStorage>(disk));
    EXPECT_TRUE(r);
    return r ? std::move(r->first) : nullptr;
}

std::string one(uint64_t seq, std::string_view payload) {
    std::string out;
    append_record(out, seq, payload);
    return out;
}

// Waits until `n` callbacks have run.
class Countdown {
  public:
    explicit Countdown(int n) : n_(n) {}
    void hit() {
        std::lock_guard l(mu_);
        if (--n_ == 0) cv_.notify_all();
    }
    bool wait(std::chrono::seconds limit = 30s) {
        std::unique_lock l(mu_);
        return cv_.wait_for(l, limit, [&] { return n_ <= 0; });
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    int n_;
};

TEST(GroupCommit, ConcurrentSubmittersShareSyncsAndEverythingIsDurable) {
    constexpr int kThreads = 8, kPerThread = 500, kTotal = kThreads * kPerThread;
    auto disk = std::make_shared<FakeDisk>();
    disk->on_sync([] { std::this_thread::sleep_for(100us); });  // a disk that takes its time
    auto journal = open_journal(disk);

    // The agent numbers records on its I/O thread; a mutex plays that role here so that numbers
    // are handed out in submission order.
    std::mutex seq_mu;
    uint64_t next_seq = 1;
    std::vector<uint64_t> completion_order;  // only touched on the committer thread
    std::vector<std::vector<int>> per_thread(kThreads);
    std::atomic<int> failures{0};
    Countdown all(kTotal);
    {
        GroupCommitter committer(*journal);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kPerThread; ++i) {
                    std::lock_guard l(seq_mu);
                    const uint64_t seq = next_seq++;
                    std::string payload = "t";
                    payload += std::to_string(t);
                    payload += ':';
                    payload += std::to_string(i);
                    committer.submit(one(seq, payload), 1,
                                     [&, t, i, seq](Status st) {
                                         if (!st) ++failures;
                                         completion_order.push_back(seq);
                                         per_thread[t].push_back(i);
                                         all.hit();
                                     });
                }
            });
        }
        for (auto& th : threads) th.join();
        ASSERT_TRUE(all.wait());
        const auto stats = committer.stats();
        EXPECT_EQ(stats.submissions, static_cast<uint64_t>(kTotal));
        EXPECT_EQ(stats.failures, 0u);
        EXPECT_EQ(stats.batches, disk->syncs());
        EXPECT_GT(stats.max_sync_ns, 0u);
        std::printf("[ info     ] %d submissions, %llu syncs (%.1f records per sync)\n", kTotal,
                    static_cast<unsigned long long>(disk->syncs()),
                    double(kTotal) / double(disk->syncs()));
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_LT(disk->syncs(), static_cast<uint64_t>(kTotal));
    ASSERT_EQ(completion_order.size(), static_cast<size_t>(kTotal));
    for (size_t k = 0; k < completion_order.size(); ++k) ASSERT_EQ(completion_order[k], k + 1);
    for (int t = 0; t < kThreads; ++t) {
        ASSERT_EQ(per_thread[t].size(), static_cast<size_t>(kPerThread));
        for (int i = 0; i < kPerThread; ++i) ASSERT_EQ(per_thread[t][i], i);
    }

    auto reopened = Journal::open(std::make_unique<FakeStorage>(disk));
    ASSERT_TRUE(reopened);
    const auto& records = reopened->second.records;
    ASSERT_EQ(records.size(), static_cast<size_t>(kTotal));
    std::vector<int> seen(kThreads, 0);
    for (size_t k = 0; k < records.size(); ++k) {
        EXPECT_EQ(records[k].seq, k + 1);
        const auto colon = records[k].payload.find(':');
        const int t = std::stoi(records[k].payload.substr(1, colon - 1));
        EXPECT_EQ(records[k].payload.substr(colon + 1), std::to_string(seen[t]++));
    }
}

// Holds the first sync in flight until the test lets it go, so work can be queued behind it.
struct SyncGate {
    std::promise<void> entered, release;
    std::atomic<bool> armed{true};
    void install(FakeDisk& disk) {
        auto released = release.get_future().share();
        disk.on_sync([this, released] {
            if (armed.exchange(false)) {
                entered.set_value();
                released.wait();
            }
        });
    }
};

TEST(GroupCommit, FailurePoisonsItsEpochButNotLaterOnes) {
    auto disk = std::make_shared<FakeDisk>();
    auto journal = open_journal(disk);
    SyncGate gate;
    gate.install(*disk);
    disk->fail_next_syncs(1);

    std::vector<std::pair<char, Status>> results;  // committer thread only
    Countdown all(5);
    auto record = [&](char name) {
        return [&, name](Status st) {
            results.emplace_back(name, std::move(st));
            all.hit();
        };
    };
    {
        GroupCommitter committer(*journal);
        committer.submit(one(1, "a"), 1, record('A'));
        gate.entered.get_future().wait();  // A's sync is in flight
        committer.submit(one(2, "b"), 1, record('B'));
        committer.submit(one(3, "c"), 1, record('C'));
        committer.submit_snapshot(3, {"snap"}, 1, record('S'));
        // The caller saw nothing fail yet in real life, but a higher epoch is what it would use
        // after rolling back, restarting at the durable next_seq (1: A is not on disk).
        committer.submit(one(1, "d"), 2, record('D'));
        gate.release.set_value();
        ASSERT_TRUE(all.wait());
        EXPECT_EQ(committer.stats().failures, 4u);
        EXPECT_EQ(committer.stats().batches, 2u);  // A's, then D's: B, C and S never ran
    }
    ASSERT_EQ(results.size(), 5u);
    const std::string order = {results[0].first, results[1].first, results[2].first,
                               results[3].first, results[4].first};
    EXPECT_EQ(order, "ABCSD");
    EXPECT_EQ(results[0].second.error().sys_errno, EIO);
    for (int k = 1; k <= 3; ++k) {
        ASSERT_FALSE(results[k].second);
        EXPECT_NE(results[k].second.error().message.find("epoch 1 failed"), std::string::npos)
            << results[k].second.error().message;
    }
    EXPECT_TRUE(results[4].second) << results[4].second.error().describe();
    EXPECT_EQ(disk->appends(), 2u);          // A (then cut back) and D
    EXPECT_EQ(disk->snapshot_writes(), 0u);  // S was poisoned
    auto reopened = Journal::open(std::make_unique<FakeStorage>(disk));
    ASSERT_TRUE(reopened);
    ASSERT_EQ(reopened->second.records.size(), 1u);
    EXPECT_EQ(reopened->second.records[0].payload, "d");
}

TEST(GroupCommit, QueuedAppendsAreMergedIntoOneSync) {
    auto disk = std::make_shared<FakeDisk>();
    auto journal = open_journal(disk);
    SyncGate gate;
    gate.install(*disk);
    Countdown all(11);
    std::atomic<int> ok{0};
    auto done = [&](Status st) {
        if (st) ++ok;
        all.hit();
    };
    {
        GroupCommitter committer(*journal);
        committer.submit(one(1, "first"), 0, done);
        gate.entered.get_future().wait();
        for (uint64_t s = 2; s <= 11; ++s) committer.submit(one(s, "queued"), 0, done);
        gate.release.set_value();
        ASSERT_TRUE(all.wait());
    }
    EXPECT_EQ(ok.load(), 11);
    EXPECT_EQ(disk->syncs(), 2u);  // the first, then all ten queued behind it together
}

// The metrics' sync histogram hears every append batch (one write + fdatasync), not snapshots.
TEST(GroupCommit, OnSyncHearsEachAppendBatchButNoSnapshot) {
    auto disk = std::make_shared<FakeDisk>();
    auto journal = open_journal(disk);
    SyncGate gate;
    gate.install(*disk);
    std::atomic<int> heard{0};
    Countdown all(12);
    auto done = [&](Status) { all.hit(); };
    {
        GroupCommitter committer(*journal);
        committer.set_on_sync([&](uint64_t) { ++heard; });
        committer.submit(one(1, "first"), 0, done);
        gate.entered.get_future().wait();
        for (uint64_t s = 2; s <= 6; ++s) committer.submit(one(s, "queued"), 0, done);
        committer.submit_snapshot(6, {"S"}, 0, done);
        for (uint64_t s = 7; s <= 11; ++s) committer.submit(one(s, "after"), 0, done);
        gate.release.set_value();
        ASSERT_TRUE(all.wait());
        EXPECT_EQ(committer.stats().batches, 3u);
        EXPECT_EQ(committer.stats().snapshots, 1u);
    }
    EXPECT_EQ(heard.load(), 3);  // [first], [2..6], [7..11]
}

TEST(GroupCommit, InlineCommitRunsOnTheCallerWhenIdleOnly) {
    auto disk = std::make_shared<FakeDisk>();
    auto journal = open_journal(disk);
    GroupCommitter committer(*journal);

    std::string bytes = one(1, "alone");
    std::thread::id ran_on;
    bool ok = false;
    GroupCommitter::Done done = [&](Status st) {
        ok = st.has_value();
        ran_on = std::this_thread::get_id();
    };
    ASSERT_TRUE(committer.try_commit_inline(bytes, 0, done));
    EXPECT_TRUE(ok);  // durable before it returned, on this thread
    EXPECT_EQ(ran_on, std::this_thread::get_id());
    EXPECT_EQ(disk->journal(), one(1, "alone"));
    EXPECT_EQ(disk->syncs(), 1u);

    // While a batch is being written, the inline path declines and leaves its arguments alone.
    SyncGate gate;
    gate.install(*disk);
    Countdown queued(2);
    committer.submit(one(2, "queued"), 0, [&](Status) { queued.hit(); });
    gate.entered.get_future().wait();
    std::string mine = one(3, "mine");
    GroupCommitter::Done later = [&](Status) { queued.hit(); };
    EXPECT_FALSE(committer.try_commit_inline(mine, 0, later));
    EXPECT_EQ(mine, one(3, "mine"));
    ASSERT_TRUE(later);
    committer.submit(std::move(mine), 0, std::move(later));
    gate.release.set_value();
    ASSERT_TRUE(queued.wait());
    EXPECT_EQ(disk->journal(), one(1, "alone") + one(2, "queued") + one(3, "mine"));
}

TEST(GroupCommit, SnapshotIsOrderedWithAppends) {
    auto disk = std::make_shared<FakeDisk>();
    auto journal = open_journal(disk);
    std::atomic<int> ok{0};
    Countdown all(5);
    auto done = [&](Status st) {
        if (st) ++ok;
        all.hit();
    };
    {
        GroupCommitter committer(*journal);
        committer.submit(one(1, "a"), 0, done);
        committer.submit(one(2, "b"), 0, done);
        committer.submit_snapshot(2, {"A", "B"}, 0, done);
        committer.submit(one(3, "c"), 0, done);
        committer.submit(one(4, "d"), 0, done);
        ASSERT_TRUE(all.wait());
        EXPECT_EQ(committer.stats().snapshots, 1u);
    }
    EXPECT_EQ(ok.load(), 5);
    auto reopened = Journal::open(std::make_unique<FakeStorage>(disk));
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->second.snapshot, (std::vector<std::string>{"A", "B"}));
    ASSERT_EQ(reopened->second.records.size(), 2u);
    EXPECT_EQ(reopened->second.records[0].seq, 3u);
    EXPECT_EQ(reopened->second.next_seq, 5u);
}

TEST(GroupCommit, DestructorFinishesQueuedWork) {
    auto disk = std::make_shared<FakeDisk>();
    auto journal = open_journal(disk);
    std::atomic<int> ok{0};
    {
        GroupCommitter committer(*journal);
        for (uint64_t s = 1; s <= 200; ++s)
            committer.submit(one(s, "x"), 0, [&](Status st) { ok += st ? 1 : 0; });
    }
    EXPECT_EQ(ok.load(), 200);
    EXPECT_EQ(journal->next_seq(), 201u);
}

// Not an assertion: a throughput figure for the note, with real fdatasync on $TMPDIR's
// filesystem and 64 closed-loop clients (each waits for its answer before the next request).
TEST(GroupCommit, ThroughputOnRealDisk) {
    testing::TempDir tmp;
    auto storage = FileStorage::open(tmp.path());
    ASSERT_TRUE(storage);
    auto opened = Journal::open(std::move(*storage));
    ASSERT_TRUE(opened);
    auto& journal = *opened->first;
    constexpr int kClients = 64, kEach = 40;
    std::mutex seq_mu;
    uint64_t next_seq = 1;
    std::atomic<int> failures{0};
    const auto t0 = std::chrono::steady_clock::now();
    GroupCommitter::Stats stats;
    {
        GroupCommitter committer(journal);
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back([&] {
                for (int i = 0; i < kEach; ++i) {
                    std::promise<Status> answer;
                    {
                        std::lock_guard l(seq_mu);
                        committer.submit(one(next_seq++, std::string(120, 'r')), 0,
                                         [&](Status st) { answer.set_value(std::move(st)); });
                    }
                    if (!answer.get_future().get()) ++failures;
                }
            });
        }
        for (auto& th : clients) th.join();
        stats = committer.stats();
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(failures.load(), 0);
    std::printf(
        "[ info     ] %d clients: %d commits in %.3f s = %.0f commits/s, %llu syncs "
        "(%.1f per sync), max sync %.2f ms\n",
        kClients, kClients * kEach, secs, kClients * kEach / secs,
        static_cast<unsigned long long>(stats.batches),
        double(stats.submissions) / double(stats.batches), stats.max_sync_ns / 1e6);
}

}  // namespace
}  // namespace warren::journal
