// Network namespace cookies against the real kernel: the agent's reader (a thread in the
// namespace) and the plugin's (setns on its own thread and back). Needs root (fails instead of
// skipping under CI=true).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "liveness/netns_cookie.hpp"
#include "netns.hpp"
#include "plugin.hpp"
#include "support/privileged.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {
namespace {

using it::Netns;

uint64_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

uint64_t own_cookie() {
    Fd sock{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    return socket_netns_cookie(sock.get()).value_or(0);
}

TEST(NetnsCookiePriv, TwoNamespacesHaveTwoCookiesAndOneNamespaceOneThroughEveryPath) {
    WARREN_REQUIRE_ROOT();
    Netns a, b;
    ASSERT_TRUE(a.ok()) << a.error();
    ASSERT_TRUE(b.ok()) << b.error();
    ThreadNetnsCookieReader reader;
    auto ca = reader.cookie_of(a.path(), inode_of(a.path()));
    auto cb = reader.cookie_of(b.path(), 0);
    ASSERT_TRUE(ca) << ca.error().describe();
    ASSERT_TRUE(cb) << cb.error().describe();
    EXPECT_NE(*ca, 0u);
    EXPECT_NE(*ca, *cb);

    // Our namespace through /proc, and through a socket made here.
    auto mine = reader.cookie_of("/proc/self/ns/net", 0);
    ASSERT_TRUE(mine) << mine.error().describe();
    EXPECT_EQ(*mine, own_cookie());
    EXPECT_NE(*mine, *ca);

    // The plugin's reader agrees with the agent's, and leaves the plugin where it was.
    cni::SystemHost host;
    const uint64_t before = inode_of("/proc/thread-self/ns/net");
    auto plugin_a = host.netns_cookie(a.path());
    ASSERT_TRUE(plugin_a) << plugin_a.error().describe();
    EXPECT_EQ(*plugin_a, *ca);
    EXPECT_EQ(inode_of("/proc/thread-self/ns/net"), before);
    EXPECT_EQ(own_cookie(), *mine);
}

TEST(NetnsCookiePriv, APathNoLongerHoldingTheNamespaceOrNothingIsAnErrorOrZero) {
    WARREN_REQUIRE_ROOT();
    Netns a;
    ASSERT_TRUE(a.ok()) << a.error();
    ThreadNetnsCookieReader reader;
    auto wrong = reader.cookie_of(a.path(), inode_of(a.path()) + 1);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("no longer namespace"), std::string::npos)
        << wrong.error().message;
    EXPECT_FALSE(reader.cookie_of("/var/run/netns/warren-no-such-ns", 0));

    cni::SystemHost host;
    EXPECT_EQ(host.netns_cookie("/var/run/netns/warren-no-such-ns").value(), 0u);
    EXPECT_EQ(host.netns_cookie("/etc/hostname").value(), 0u) << "not a namespace";
    EXPECT_EQ(host.netns_cookie("").value(), 0u);
}

// What issue 7 is about: the kernel frees a namespace's inode number (after its asynchronous
// cleanup) and gives it to a later namespace; never its cookie. Namespaces are made until one
// gets the freed number (others on the machine may take it first: then another round).
TEST(NetnsCookiePriv, ANamespaceThatReusesAnInodeNumberHasANewCookie) {
    WARREN_REQUIRE_ROOT();
    ThreadNetnsCookieReader reader;
    std::optional<std::pair<uint64_t, uint64_t>> reused;  // first cookie, second cookie
    uint64_t inode = 0;
    for (int round = 0; round < 5 && !reused; ++round) {
        auto first = std::make_unique<Netns>();
        ASSERT_TRUE(first->ok()) << first->error();
        inode = inode_of(first->path());
        auto cookie = reader.cookie_of(first->path(), inode);
        ASSERT_TRUE(cookie) << cookie.error().describe();
        first.reset();
        std::vector<std::unique_ptr<Netns>> later;  // kept, so each takes a new number
        for (int i = 0; i < 50 && !reused; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            auto& ns = later.emplace_back(std::make_unique<Netns>());
            ASSERT_TRUE(ns->ok()) << ns->error();
            if (inode_of(ns->path()) != inode) continue;
            auto again = reader.cookie_of(ns->path(), inode);
            ASSERT_TRUE(again) << again.error().describe();
            reused.emplace(*cookie, *again);
        }
    }
    ASSERT_TRUE(reused) << "no namespace got a freed inode number back in 5 rounds";
    EXPECT_NE(reused->first, reused->second) << "inode " << inode << " came back with its cookie";
}

}  // namespace
}  // namespace warren::liveness
