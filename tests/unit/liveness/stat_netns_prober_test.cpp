// StatNetnsProber gives SystemNetnsProber's answers (netns_prober_test.cpp) with one fstatat.
#include "liveness/stat_netns_prober.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace warren::liveness {
namespace {

std::unique_ptr<StatNetnsProber> make() {
    auto p = StatNetnsProber::open();
    EXPECT_TRUE(p) << p.error().describe();
    return p ? std::move(*p) : nullptr;
}

uint64_t stat_inode(const char* path) {
    struct stat st {};
    EXPECT_EQ(::stat(path, &st), 0) << path;
    return st.st_ino;
}

TEST(StatNetnsProber, OwnNamespaceIsPresentOrReplacedByInode) {
    auto prober = make();
    ASSERT_TRUE(prober);
    const uint64_t ino = stat_inode("/proc/self/ns/net");
    auto p = prober->probe("/proc/self/ns/net", ino);
    ASSERT_TRUE(p) << p.error().describe();
    EXPECT_EQ(p->state, NetnsState::present);
    EXPECT_EQ(p->inode, ino);
    EXPECT_EQ(prober->probe("/proc/self/ns/net", 0)->state, NetnsState::present);
    auto other = prober->probe("/proc/self/ns/net", ino + 1);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->state, NetnsState::replaced);
    EXPECT_EQ(other->inode, ino);
    // Another namespace type is on nsfs too: a namespace, as SystemNetnsProber says.
    EXPECT_EQ(prober->probe("/proc/self/ns/uts", 0)->state, NetnsState::present);
}

TEST(StatNetnsProber, MissingPathsAreGoneFilesAndFifosAreNoNamespace) {
    auto prober = make();
    ASSERT_TRUE(prober);
    testing::TempDir dir;
    std::ofstream(dir / "leftover");
    ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
    SystemNetnsProber reference;
    for (const std::string& path :
         {dir / "nope", dir / "nope/deeper", dir / "leftover", dir / "fifo",
          std::string("/proc/self/ns/net"), std::string("/proc/999999999/ns/net")}) {
        auto mine = prober->probe(path, 42);
        auto theirs = reference.probe(path, 42);
        ASSERT_TRUE(mine) << path << ": " << mine.error().describe();
        ASSERT_TRUE(theirs) << path << ": " << theirs.error().describe();
        EXPECT_EQ(mine->state, theirs->state) << path;
        EXPECT_EQ(mine->inode, theirs->inode) << path;
    }
    EXPECT_EQ(prober->probe(dir / "nope", 42)->state, NetnsState::gone);
    EXPECT_EQ(prober->probe(dir / "fifo", 42)->state, NetnsState::not_namespace);
    EXPECT_EQ(prober->probe(dir / "leftover", 42)->state, NetnsState::not_namespace);
}

TEST(StatNetnsProber, RelativePathIsRefusedWithAClearError) {
    auto prober = make();
    ASSERT_TRUE(prober);
    auto p = prober->probe("run/netns/x", 42);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, Code::invalid_config);
    EXPECT_EQ(p.error().message,
              "netns path 'run/netns/x' is not absolute; a CNI netns is an absolute path");
}

}  // namespace
}  // namespace warren::liveness
