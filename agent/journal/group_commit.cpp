#include "journal/group_commit.hpp"

#include <algorithm>
#include <chrono>

namespace warren::journal {
namespace {

uint64_t now_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

}  // namespace

GroupCommitter::GroupCommitter(Journal& journal) : journal_(journal), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void GroupCommitter::enqueue(Job job) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(job));
    }
    cv_.notify_one();
}

void GroupCommitter::submit(std::string encoded_records, uint64_t epoch, Done done) {
    enqueue(Job{false, std::move(encoded_records), 0, {}, epoch, std::move(done)});
}

bool GroupCommitter::try_commit_inline(std::string& encoded_records, uint64_t epoch, Done& done) {
    {
        std::lock_guard lock(mu_);
        if (busy_ || stopping_ || !queue_.empty()) return false;
        busy_ = true;
    }
    std::vector<Job> jobs;
    jobs.push_back(Job{false, std::move(encoded_records), 0, {}, epoch, std::move(done)});
    process(jobs);
    {
        std::lock_guard lock(mu_);
        busy_ = false;
    }
    cv_.notify_one();  // work queued meanwhile
    return true;
}

void GroupCommitter::submit_snapshot(uint64_t seq, std::vector<std::string> payloads,
                                     uint64_t epoch, Done done) {
    enqueue(Job{true, {}, seq, std::move(payloads), epoch, std::move(done)});
}

GroupCommitter::Stats GroupCommitter::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

void GroupCommitter::run() {
    std::vector<Job> jobs;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !busy_ && (stopping_ || !queue_.empty()); });
            if (queue_.empty()) return;  // stopping, and everything is done
            jobs.assign(std::make_move_iterator(queue_.begin()),
                        std::make_move_iterator(queue_.end()));
            queue_.clear();
            busy_ = true;
        }
        process(jobs);
        jobs.clear();
        std::lock_guard lock(mu_);
        busy_ = false;
    }
}

void GroupCommitter::process(std::vector<Job>& jobs) {
    std::string batch;
    bool unannounced = false;  // done callbacks ran since after_batch_ was last called
    auto announce = [&] {
        if (unannounced && after_batch_) after_batch_();
        unannounced = false;
    };
    size_t i = 0;
    while (i < jobs.size()) {
        if (poisoned_ && jobs[i].epoch <= poisoned_epoch_) {
            Error e{Code::io,
                    "journal write skipped: an earlier write of epoch " +
                        std::to_string(poisoned_epoch_) + " failed",
                    poison_cause_.describe(), poison_cause_.sys_errno};
            finish(jobs[i++], std::unexpected(std::move(e)));
            unannounced = true;
            continue;
        }

        announce();  // before blocking on the disk
        size_t end = i + 1;
        uint64_t max_epoch = jobs[i].epoch;
        const uint64_t t0 = now_ns();
        Status st;
        if (jobs[i].snapshot) {
            st = journal_.write_snapshot(jobs[i].seq, jobs[i].payloads);
        } else {
            // Jobs left here are all above the poisoned epoch, so the run needs no re-check.
            batch.clear();
            batch.append(jobs[i].bytes);
            while (end < jobs.size() && !jobs[end].snapshot &&
                   !(poisoned_ && jobs[end].epoch <= poisoned_epoch_)) {
                batch.append(jobs[end].bytes);
                max_epoch = std::max(max_epoch, jobs[end].epoch);
                ++end;
            }
            st = journal_.append(batch);
        }
        const uint64_t ns = now_ns() - t0;
        record_step(jobs[i].snapshot, ns);

        if (!st) {
            poisoned_epoch_ = poisoned_ ? std::max(poisoned_epoch_, max_epoch) : max_epoch;
            poisoned_ = true;
            poison_cause_ = st.error();
        }
        for (; i < end; ++i) finish(jobs[i], st);
        unannounced = true;
        announce();
    }
    announce();
}

void GroupCommitter::record_step(bool snapshot, uint64_t ns) {
    std::lock_guard lock(mu_);
    if (snapshot) {
        ++stats_.snapshots;
        return;
    }
    ++stats_.batches;
    stats_.max_sync_ns = std::max(stats_.max_sync_ns, ns);
    stats_.last_sync_ns = ns;
}

void GroupCommitter::finish(Job& job, Status st) {
    {
        std::lock_guard lock(mu_);
        ++stats_.submissions;
        if (!st) ++stats_.failures;
    }
    if (job.done) job.done(std::move(st));
}

}  // namespace warren::journal
