#pragma once
// The seam between the service and the journal's group committer, so the durability pipeline
// (answers held until durable, rollback on a failed write) is unit-tested with a fake.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "journal/group_commit.hpp"
#include "warren/error.hpp"

namespace warren::service {

class CommitSink {
public:
    using Done = std::function<void(Status)>;  // may run on any thread
    virtual ~CommitSink() = default;
    virtual void submit(std::string encoded_records, uint64_t epoch, Done done) = 0;
    virtual void submit_snapshot(uint64_t seq, std::vector<std::string> payloads, uint64_t epoch, Done done) = 0;
    // When the sink calls `hook` after each batch of done callbacks, the service wakes its thread
    // once per batch from there (and not once per callback); returns false when it cannot.
    virtual bool on_batch_end(std::function<void()>) { return false; }
};

// A change that arrives after a quiet spell (no submission for kInlineAfterIdle) is written on
// the caller's thread when the committer is idle: a pod created alone does not pay for two thread
// wake-ups. Changes that arrive close together keep going through the group committer, where
// they share syncs and the I/O thread never blocks on the disk.
class GroupCommitSink final : public CommitSink {
public:
    static constexpr std::chrono::microseconds kInlineAfterIdle{500};

    explicit GroupCommitSink(journal::GroupCommitter& c) : c_(c) {}
    void submit(std::string encoded, uint64_t epoch, Done done) override {
        const bool quiet = std::chrono::steady_clock::now() - last_ >= kInlineAfterIdle;
        const bool written = quiet && c_.try_commit_inline(encoded, epoch, done);
        // Quiet is measured from the end of this submission, an inline sync included: the
        // requests that queued up behind that sync are a burst and go to the committer together.
        last_ = std::chrono::steady_clock::now();
        if (!written) c_.submit(std::move(encoded), epoch, std::move(done));
    }
    void submit_snapshot(uint64_t seq, std::vector<std::string> payloads, uint64_t epoch, Done done) override {
        c_.submit_snapshot(seq, std::move(payloads), epoch, std::move(done));
    }
    bool on_batch_end(std::function<void()> hook) override {
        c_.set_after_batch(std::move(hook));
        return true;
    }

private:
    journal::GroupCommitter& c_;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace warren::service
