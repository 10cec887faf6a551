#pragma once
// In-memory journal Storage with failure injection, for unit tests of recovery and group commit.
//
// The bytes live in a FakeDisk held by shared_ptr, so a test can "restart" (open a new Journal
// over a new FakeStorage on the same disk), inspect and corrupt bytes, and simulate a crash
// (drop what was never synced). Thread-safe: the committer thread and the test thread may use
// the disk concurrently.
#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "journal/storage.hpp"

namespace warren::testing {

class FakeDisk {
  public:
    // Failure injection: the next `n` calls fail (appends with ENOSPC and write nothing, syncs
    // and truncates with EIO, snapshot writes with ENOSPC and keep the old snapshot).
    void fail_next_appends(int n) {
        std::lock_guard l(mu_);
        fail_appends_ = n;
    }
    void fail_next_syncs(int n) {
        std::lock_guard l(mu_);
        fail_syncs_ = n;
    }
    void fail_next_truncates(int n) {
        std::lock_guard l(mu_);
        fail_truncates_ = n;
    }
    void fail_next_snapshot_writes(int n) {
        std::lock_guard l(mu_);
        fail_snapshots_ = n;
    }
    // Runs at the start of every sync, on the syncing thread, without the disk's lock held: lets
    // a test hold a sync "in flight" while it queues more work.
    void on_sync(std::function<void()> hook) {
        std::lock_guard l(mu_);
        sync_hook_ = std::move(hook);
    }

    uint64_t syncs() const {
        std::lock_guard l(mu_);
        return syncs_;
    }
    uint64_t appends() const {
        std::lock_guard l(mu_);
        return appends_;
    }
    uint64_t snapshot_writes() const {
        std::lock_guard l(mu_);
        return snapshot_writes_;
    }

    std::string journal() const {
        std::lock_guard l(mu_);
        return journal_;
    }
    void set_journal(std::string bytes) {
        std::lock_guard l(mu_);
        journal_ = std::move(bytes);
        synced_ = journal_.size();
    }
    std::optional<std::string> snapshot() const {
        std::lock_guard l(mu_);
        return snapshot_;
    }
    void set_snapshot(std::optional<std::string> bytes) {
        std::lock_guard l(mu_);
        snapshot_ = std::move(bytes);
    }
    // Simulates power loss: of the bytes appended since the last sync, only the first
    // `keep_unsynced` survive.
    void crash(uint64_t keep_unsynced = 0) {
        std::lock_guard l(mu_);
        if (journal_.size() > synced_ + keep_unsynced) journal_.resize(synced_ + keep_unsynced);
        synced_ = journal_.size();
    }

  private:
    friend class FakeStorage;
    mutable std::mutex mu_;
    std::string journal_;
    uint64_t synced_ = 0;
    std::optional<std::string> snapshot_;
    int fail_appends_ = 0, fail_syncs_ = 0, fail_truncates_ = 0, fail_snapshots_ = 0;
    std::function<void()> sync_hook_;
    uint64_t syncs_ = 0, appends_ = 0, snapshot_writes_ = 0;
};

class FakeStorage final : public journal::Storage {
  public:
    explicit FakeStorage(std::shared_ptr<FakeDisk> disk = std::make_shared<FakeDisk>())
        : disk_(std::move(disk)) {}
    const std::shared_ptr<FakeDisk>& disk() const { return disk_; }

    Result<std::string> read_journal() override { return disk_->journal(); }
    Status append_journal(std::string_view bytes) override {
        std::lock_guard l(disk_->mu_);
        if (disk_->fail_appends_ > 0) {
            --disk_->fail_appends_;
            return fail_errno("cannot append to fake journal", ENOSPC);
        }
        ++disk_->appends_;
        disk_->journal_.append(bytes);
        return {};
    }
    Status sync_journal() override {
        std::function<void()> hook;
        {
            std::lock_guard l(disk_->mu_);
            hook = disk_->sync_hook_;
        }
        if (hook) hook();
        std::lock_guard l(disk_->mu_);
        if (disk_->fail_syncs_ > 0) {
            --disk_->fail_syncs_;
            return fail_errno("cannot sync fake journal", EIO);
        }
        ++disk_->syncs_;
        disk_->synced_ = disk_->journal_.size();
        return {};
    }
    Status truncate_journal(uint64_t size) override {
        std::lock_guard l(disk_->mu_);
        if (disk_->fail_truncates_ > 0) {
            --disk_->fail_truncates_;
            return fail_errno("cannot truncate fake journal", EIO);
        }
        if (size < disk_->journal_.size()) disk_->journal_.resize(size);
        disk_->synced_ = disk_->journal_.size();
        return {};
    }
    void end_at_zeros(uint64_t size) override {
        std::lock_guard l(disk_->mu_);
        if (size < disk_->journal_.size()) disk_->journal_.resize(size);  // zeros: nothing lost
    }
    uint64_t journal_size() const override {
        std::lock_guard l(disk_->mu_);
        return disk_->journal_.size();
    }
    Result<std::optional<std::string>> read_snapshot() override { return disk_->snapshot(); }
    Status write_snapshot(std::string_view bytes) override {
        std::lock_guard l(disk_->mu_);
        if (disk_->fail_snapshots_ > 0) {
            --disk_->fail_snapshots_;
            return fail_errno("cannot write fake snapshot", ENOSPC);
        }
        ++disk_->snapshot_writes_;
        disk_->snapshot_ = std::string(bytes);
        return {};
    }
    std::string journal_name() const override { return "fake:journal.wal"; }
    std::string snapshot_name() const override { return "fake:snapshot.bin"; }

  private:
    std::shared_ptr<FakeDisk> disk_;
};

}  // namespace warren::testing
