#pragma once
// The classifier loaded for a test: a bpffs dir of its own (/sys/fs/bpf/warren-test-<pid>-<n>)
// whose pins are removed on destruction, and BPF_PROG_TEST_RUN on a frame.
#include <optional>
#include <string>

#include "frames.hpp"
#include "liveness/program.hpp"
#include "warren/error.hpp"

namespace warren::bpftest {

// Removes kPinnedMaps under `path` and the directory itself on destruction (even if a test
// failed half-way), without touching any tc filter.
class PinDir {
  public:
    PinDir();
    ~PinDir();
    PinDir(const PinDir&) = delete;
    PinDir& operator=(const PinDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

struct TestRun {
    int rc = 0;           // bpf_prog_test_run_opts: 0 or -errno
    uint32_t retval = 0;  // the program's verdict
};

// Runs the classifier once on `frame` as if it arrived on `ifindex` (skb->ingress_ifindex).
TestRun run_frame(int prog_fd, const Frame& frame, uint32_t ifindex);

// TC_ACT_UNSPEC as the program's u32 return value.
inline constexpr uint32_t kUnspec = 0xffffffffu;

}  // namespace warren::bpftest
