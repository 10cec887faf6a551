// libbpf's log lands in spdlog with mapped levels.
#include "liveness/bpf_log.hpp"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include "in_netns.hpp"
#include "netns.hpp"
#include "support/captured_log.hpp"
#include "support/privileged.hpp"

namespace warren::liveness {
namespace {

using warren::testing::CapturedLog;

TEST(LibbpfLog, WarningsBecomeSpdlogWarnings) {
    CapturedLog log;
    route_libbpf_log();
    EXPECT_EQ(bpf_object__open_file("/nonexistent/warren-test.bpf.o", nullptr), nullptr);
    std::string text = log.text();
    EXPECT_NE(text.find("warning|libbpf: "), std::string::npos) << text;
    EXPECT_NE(text.find("/nonexistent/warren-test.bpf.o"), std::string::npos) << text;
    EXPECT_EQ(text.find("libbpf: libbpf:"), std::string::npos) << text;
    EXPECT_EQ(text.find("\n\n"), std::string::npos) << "libbpf's newline kept: " << text;
}

TEST(LibbpfLog, KernelNetlinkNotesAreDebug) {
    WARREN_REQUIRE_ROOT();
    it::Netns ns;
    ASSERT_TRUE(ns.ok()) << ns.error();
    bpftest::InNetns in(ns.name());
    ASSERT_TRUE(in.ok());
    CapturedLog log;
    route_libbpf_log();
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(::if_nametoindex("lo")),
                .attach_point = BPF_TC_INGRESS);
    ASSERT_EQ(bpf_tc_hook_create(&hook), 0);
    EXPECT_EQ(bpf_tc_hook_create(&hook), -EEXIST);  // the kernel explains why in an extack note
    std::string text = log.text();
    EXPECT_NE(text.find("debug|libbpf: Kernel error message:"), std::string::npos) << text;
    EXPECT_EQ(text.find("warning|"), std::string::npos) << text;
}

}  // namespace
}  // namespace warren::liveness
