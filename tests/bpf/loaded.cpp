#include "loaded.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "netns.hpp"

namespace warren::bpftest {

PinDir::PinDir() : path_("/sys/fs/bpf/" + it::unique_name("warren-test-")) {}

PinDir::~PinDir() {
    for (const char* name : liveness::kPinnedMaps) ::unlink((path_ + "/" + name).c_str());
    ::rmdir(path_.c_str());
}

TestRun run_frame(int prog_fd, const Frame& frame, uint32_t ifindex) {
    __sk_buff ctx{};
    ctx.ingress_ifindex = ifindex;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<uint32_t>(frame.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof ctx, .repeat = 1);
    int rc = bpf_prog_test_run_opts(prog_fd, &opts);
    return {rc, opts.retval};
}

}  // namespace warren::bpftest
