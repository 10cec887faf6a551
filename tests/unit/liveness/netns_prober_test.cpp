#include "liveness/netns_prober.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace warren::liveness {
namespace {

uint64_t stat_inode(const char* path) {
    struct stat st {};
    EXPECT_EQ(::stat(path, &st), 0) << path;
    return st.st_ino;
}

// Our own namespace through /proc/self/ns/net needs no privileges.
TEST(NetnsProber, OwnNamespaceIsPresentWithTheInodeStatGives) {
    const uint64_t ino = stat_inode("/proc/self/ns/net");
    SystemNetnsProber prober;
    auto p = prober.probe("/proc/self/ns/net", ino);
    ASSERT_TRUE(p.has_value()) << p.error().describe();
    EXPECT_EQ(p->state, NetnsState::present);
    EXPECT_EQ(p->inode, ino);

    auto unknown = prober.probe("/proc/self/ns/net", 0);
    ASSERT_TRUE(unknown.has_value());
    EXPECT_EQ(unknown->state, NetnsState::present) << "no recorded inode: any namespace will do";
}

TEST(NetnsProber, AnotherInodeAtThePathIsReplaced) {
    const uint64_t ino = stat_inode("/proc/self/ns/net");
    SystemNetnsProber prober;
    auto p = prober.probe("/proc/self/ns/net", ino + 1);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->state, NetnsState::replaced);
    EXPECT_EQ(p->inode, ino);
}

TEST(NetnsProber, MissingPathIsGone) {
    testing::TempDir dir;
    SystemNetnsProber prober;
    for (const std::string& path : {dir / "nope", dir / "nope/deeper"}) {
        auto p = prober.probe(path, 42);
        ASSERT_TRUE(p.has_value()) << path << ": " << p.error().describe();
        EXPECT_EQ(p->state, NetnsState::gone) << path;
    }
}

TEST(NetnsProber, PlainFileIsNotANamespace) {
    testing::TempDir dir;
    std::ofstream(dir / "leftover");  // what an unmounted /run/netns/x leaves behind
    SystemNetnsProber prober;
    auto p = prober.probe(dir / "leftover", 42);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->state, NetnsState::not_namespace);
    EXPECT_EQ(p->inode, 0u);
}

TEST(NetnsProber, FifoAtThePathIsNotBlockedOn) {
    testing::TempDir dir;
    ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
    SystemNetnsProber prober;
    auto p = prober.probe(dir / "fifo", 42);  // an open(O_RDONLY) would hang here
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->state, NetnsState::not_namespace);
}

TEST(NetnsProber, RelativePathIsRefusedWithAClearError) {
    SystemNetnsProber prober;
    auto p = prober.probe("run/netns/x", 42);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().code, Code::invalid_config);
    EXPECT_NE(p.error().message.find("not absolute"), std::string::npos) << p.error().message;
}

TEST(NetnsInode, ReadsANetworkNamespace) {
    auto ino = netns_inode("/proc/self/ns/net");
    ASSERT_TRUE(ino.has_value()) << ino.error().describe();
    EXPECT_EQ(*ino, stat_inode("/proc/self/ns/net"));
}

TEST(NetnsInode, RefusesOtherNamespacesAndFiles) {
    auto mnt = netns_inode("/proc/self/ns/mnt");
    ASSERT_FALSE(mnt.has_value());
    EXPECT_NE(mnt.error().message.find("not a network namespace"), std::string::npos)
        << mnt.error().message;

    testing::TempDir dir;
    std::ofstream(dir / "file");
    auto file = netns_inode(dir / "file");
    ASSERT_FALSE(file.has_value());
    EXPECT_NE(file.error().message.find("not a namespace"), std::string::npos)
        << file.error().message;

    auto missing = netns_inode(dir / "missing");
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace warren::liveness
