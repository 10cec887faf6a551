#pragma once
// Moves the calling thread into a named network namespace for the guard's lifetime, so libbpf's
// netlink sockets, if_nametoindex and detach_all see only that namespace's links.
#include <fcntl.h>
#include <sched.h>

#include <string>

#include "warren/fd.hpp"

namespace warren::bpftest {

class InNetns {
  public:
    explicit InNetns(const std::string& name)
        : home_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
        Fd target(::open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
        ok_ = home_ && target && ::setns(target.get(), CLONE_NEWNET) == 0;
    }
    ~InNetns() {
        if (ok_) ::setns(home_.get(), CLONE_NEWNET);
    }
    InNetns(const InNetns&) = delete;
    InNetns& operator=(const InNetns&) = delete;
    bool ok() const { return ok_; }

  private:
    Fd home_;
    bool ok_ = false;
};

}  // namespace warren::bpftest
