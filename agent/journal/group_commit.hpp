#pragma once
// Group commit (DESIGN §5): the agent's I/O thread submits journal work and keeps serving; a
// background thread writes and syncs it. Everything submitted while one sync is in flight is
// written and synced together in the next batch, so N concurrent clients share syncs.
//
// Failure and epochs: the caller applies a change to its in-memory state, then submits the
// records with its current epoch. When a job fails, the caller rolls its state back to what is
// durable, restarts its numbering at Journal::next_seq() (unchanged by failed jobs: nothing of
// them is on disk) and moves to a higher epoch. Queued jobs built on the rolled-back state
// must not reach the disk, so: when a job with epoch e fails, every queued or later-taken job
// with epoch <= e fails too without touching the disk; jobs with a higher epoch proceed.
// A failed snapshot job poisons its epoch like any other job, so a caller that rolls back on
// every failure stays consistent.
//
// Ordering: jobs reach the disk in submission order; consecutive append jobs are merged into one
// write + fdatasync; a snapshot job is a step of its own. Done callbacks run on the committer
// thread, in submission order, outside any lock (they may submit more work; they must not
// destroy the committer, and must not block for long: the next batch waits for them).
//
// Ownership: borrows `journal`, which must outlive the committer and must not be used by anyone
// else meanwhile, except its thread-safe getters. Thread-safety: submit*, stats() from any
// thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "journal/journal.hpp"
#include "warren/error.hpp"

namespace warren::journal {

class GroupCommitter {
  public:
    using Done = std::function<void(Status)>;
    explicit GroupCommitter(Journal& journal);
    // Called after the done callbacks of each batch, on the thread that ran them: lets a caller
    // that collects completions wake its consumer once per batch instead of once per job. Set or
    // clear it only while nothing is queued or being written.
    void set_after_batch(std::function<void()> hook) { after_batch_ = std::move(hook); }
    ~GroupCommitter();  // finishes all queued work (callbacks included), then joins
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;

    // `encoded_records` as for Journal::append. Must not be called once destruction started.
    void submit(std::string encoded_records, uint64_t epoch, Done done);
    // When nothing is queued or being written, writes and syncs `encoded_records` on the calling
    // thread and runs `done` there before returning true: a lone change skips two thread
    // hand-offs. Otherwise returns false and leaves both arguments untouched.
    bool try_commit_inline(std::string& encoded_records, uint64_t epoch, Done& done);
    // As Journal::write_snapshot, ordered with the appends around it.
    void submit_snapshot(uint64_t seq, std::vector<std::string> payloads, uint64_t epoch,
                         Done done);

    struct Stats {
        uint64_t batches = 0;       // merged append batches attempted (one write + sync each)
        uint64_t submissions = 0;   // jobs completed, failed ones included
        uint64_t max_sync_ns = 0;   // slowest write + fdatasync of a batch
        uint64_t last_sync_ns = 0;  // the latest one
        uint64_t failures = 0;   // jobs completed with an error (poisoned ones included)
        uint64_t snapshots = 0;  // snapshot steps attempted
    };
    Stats stats() const;

  private:
    struct Job {
        bool snapshot = false;
        std::string bytes;
        uint64_t seq = 0;
        std::vector<std::string> payloads;
        uint64_t epoch = 0;
        Done done;
    };

    void enqueue(Job job);
    void run();
    void process(std::vector<Job>& jobs);
    void finish(Job& job, Status st);
    void record_step(bool snapshot, uint64_t ns);

    Journal& journal_;
    std::function<void()> after_batch_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    bool busy_ = false;  // a batch is being written (by the committer thread or inline)
    Stats stats_;

    // Whoever holds busy_ (the committer thread, or an inline caller).
    bool poisoned_ = false;
    uint64_t poisoned_epoch_ = 0;
    Error poison_cause_;

    std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace warren::journal
