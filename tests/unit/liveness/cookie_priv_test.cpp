// Network namespace cookies against the real kernel: the agent's reader (a thread in the
// namespace) and the plugin's (setns on its own thread and back). Needs root (fails instead of
// skipping under CI=true).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <memory>

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

// What issue 7 is about: a namespace made right after another one was freed usually gets its
// inode number, never its cookie.
TEST(NetnsCookiePriv, ANamespaceThatReusesAnInodeNumberHasANewCookie) {
    WARREN_REQUIRE_ROOT();
    ThreadNetnsCookieReader reader;
    bool reused = false;
    for (int attempt = 0; attempt < 20 && !reused; ++attempt) {
        auto first = std::make_unique<Netns>();
        ASSERT_TRUE(first->ok()) << first->error();
        const uint64_t inode = inode_of(first->path());
        auto cookie = reader.cookie_of(first->path(), inode);
        ASSERT_TRUE(cookie) << cookie.error().describe();
        first.reset();
        Netns second;
        ASSERT_TRUE(second.ok()) << second.error();
        if (inode_of(second.path()) != inode) continue;  // another namespace took it first
        reused = true;
        auto again = reader.cookie_of(second.path(), inode);
        ASSERT_TRUE(again) << again.error().describe();
        EXPECT_NE(*again, *cookie) << "inode " << inode << " reused with the same cookie";
    }
    EXPECT_TRUE(reused) << "the kernel never reused a freed namespace's inode in 20 tries";
}

}  // namespace
}  // namespace warren::liveness
