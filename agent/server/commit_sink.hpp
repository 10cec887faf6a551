#pragma once
// The seam between the service and the journal's group committer, so the durability pipeline
// (answers held until durable, rollback on a failed write) is unit-tested with a fake.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "journal/group_commit.hpp"
#include "warren/error.hpp"

namespace warren::server {

class CommitSink {
public:
    using Done = std::function<void(Status)>;  // may run on any thread
    virtual ~CommitSink() = default;
    virtual void submit(std::string encoded_records, uint64_t epoch, Done done) = 0;
    virtual void submit_snapshot(uint64_t seq, std::vector<std::string> payloads, uint64_t epoch, Done done) = 0;
};

class GroupCommitSink final : public CommitSink {
public:
    explicit GroupCommitSink(journal::GroupCommitter& c) : c_(c) {}
    void submit(std::string encoded, uint64_t epoch, Done done) override {
        c_.submit(std::move(encoded), epoch, std::move(done));
    }
    void submit_snapshot(uint64_t seq, std::vector<std::string> payloads, uint64_t epoch, Done done) override {
        c_.submit_snapshot(seq, std::move(payloads), epoch, std::move(done));
    }

private:
    journal::GroupCommitter& c_;
};

}  // namespace warren::server
