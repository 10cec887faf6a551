#pragma once
// HolderScanner for unit tests: returns the HolderScan the test set (held inodes, incomplete
// scans, failures) and counts scans.
#include <optional>

#include "liveness/holder_scanner.hpp"

namespace warren::testing {

class FakeHolderScanner final : public liveness::HolderScanner {
  public:
    void hold(uint64_t inode, pid_t pid = 4242) { next_.held[inode].pid = pid; }
    void hold_by_mount(uint64_t inode, std::string mount_point) {
        next_.held[inode].mount_point = std::move(mount_point);
    }
    void release(uint64_t inode) { next_.held.erase(inode); }
    // The scan read /proc/<pid>/ns/net -> net:[inode] from the agent's own /proc.
    void proc_net(pid_t pid, uint64_t inode) {
        next_.proc_paths = true;
        next_.net_by_pid[pid] = inode;
    }
    // Makes scans incomplete: `n` processes could not be read.
    void set_unreadable(size_t n) {
        next_.unreadable = n;
        if (n)
            next_.first_unreadable = Error::from_errno("cannot read /proc/1/ns/net", EACCES);
        else
            next_.first_unreadable.reset();
    }
    void fail_next_scan(Error e) { failure_ = std::move(e); }
    int scans() const { return scans_; }

    Result<liveness::HolderScan> scan() override {
        ++scans_;
        if (failure_) {
            Error e = std::move(*failure_);
            failure_.reset();
            return std::unexpected(std::move(e));
        }
        return next_;
    }

  private:
    liveness::HolderScan next_;
    std::optional<Error> failure_;
    int scans_ = 0;
};

}  // namespace warren::testing
