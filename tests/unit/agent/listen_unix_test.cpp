// listen_unix: the CNI socket and the directories above it get their intended modes whatever
// the process umask (issue 6, defect 4).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "server/unix_server.hpp"
#include "support/temp_dir.hpp"

namespace warren::server {
namespace {

using testing::TempDir;

unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

TEST(ListenUnix, DirectoriesAre0755AndTheSocket0660WhateverTheUmask) {
    for (mode_t mask : {mode_t{0}, mode_t{0777}}) {
        TempDir tmp;
        const std::string sock = tmp / "run/warren/warren.sock";
        const mode_t old = ::umask(mask);
        auto fd = listen_unix(sock, 0660, "");
        ::umask(old);
        ASSERT_TRUE(fd) << "umask " << mask << ": " << fd.error().describe();
        EXPECT_EQ(mode_of(tmp / "run"), 0755u) << "umask " << mask;
        EXPECT_EQ(mode_of(tmp / "run/warren"), 0755u) << "umask " << mask;
        EXPECT_EQ(mode_of(sock), 0660u) << "umask " << mask;
    }
}

// An existing directory is the operator's: its mode is left alone.
TEST(ListenUnix, ExistingDirectoryKeepsItsMode) {
    TempDir tmp;
    ASSERT_EQ(::mkdir((tmp / "run").c_str(), 0750), 0);
    auto fd = listen_unix(tmp / "run/warren.sock", 0660, "");
    ASSERT_TRUE(fd) << fd.error().describe();
    EXPECT_EQ(mode_of(tmp / "run"), 0750u);
}

}  // namespace
}  // namespace warren::server
