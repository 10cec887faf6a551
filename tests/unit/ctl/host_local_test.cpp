// Reading a host-local data dir the test writes: both content formats, last_reserved_ip.N, the
// lock file, and every kind of file that is not a reservation refused with why.
#include "host_local.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace warren::ctl {
namespace {

using warren::testing::TempDir;

void write(const std::string& path, const std::string& content) {
    std::ofstream f(path, std::ios::binary);
    f << content;
    ASSERT_TRUE(f.good()) << path;
}

TEST(HostLocalParse, CurrentFormatIdCrlfIfname) {
    auto r = parse_reservation("0123abcd\r\neth0");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->container_id, "0123abcd");
    EXPECT_EQ(r->ifname, "eth0");
}

TEST(HostLocalParse, OlderFormatOnlyTheContainerId) {
    auto r = parse_reservation("0123abcd");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->container_id, "0123abcd");
    EXPECT_EQ(r->ifname, "");
    auto trailing = parse_reservation("  0123abcd\n");
    ASSERT_TRUE(trailing) << trailing.error().message;
    EXPECT_EQ(trailing->container_id, "0123abcd");
}

TEST(HostLocalParse, MalformedContents) {
    EXPECT_EQ(parse_reservation("").error().message, "malformed: empty (no container ID)");
    EXPECT_EQ(parse_reservation(" \n").error().message, "malformed: empty (no container ID)");
    EXPECT_EQ(parse_reservation("\r\neth0").error().message, "malformed: empty (no container ID)");
    EXPECT_EQ(parse_reservation("abc\r\n").error().message,
              "malformed: an empty interface name after the container ID");
    EXPECT_EQ(parse_reservation("abc def").error().message,
              "malformed: the container ID has spaces, line breaks or control characters");
    EXPECT_EQ(parse_reservation("abc\ndef").error().message,
              "malformed: the container ID has spaces, line breaks or control characters");
    EXPECT_EQ(parse_reservation("abc\r\neth0\r\nmore").error().message,
              "malformed: the interface name is not a Linux interface name");
    EXPECT_EQ(parse_reservation("abc\r\na-very-long-interface-name").error().message,
              "malformed: the interface name is not a Linux interface name");
}

TEST(HostLocalDir, ReadsEntriesLastReservedAndRefusals) {
    TempDir tmp;
    const std::string dir = tmp / "mynet";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    write(dir + "/10.1.0.2", "c-new\r\neth0");
    write(dir + "/10.1.0.3", "c-old");
    write(dir + "/fd00::5", "c-v6\r\nnet1");
    write(dir + "/last_reserved_ip.0", "10.1.0.3");
    write(dir + "/last_reserved_ip.1", "fd00::5");
    write(dir + "/lock", "");
    write(dir + "/garbage", "c-x\r\neth0");
    write(dir + "/10.1.0.300", "c-y\r\neth0");
    write(dir + "/10.1.0.4", "");
    write(dir + "/last_reserved_ip.x", "10.1.0.3");
    write(dir + "/last_reserved_ip.2", "nonsense");
    write(dir + "/10.1.0.6", std::string(5000, 'a'));
    ASSERT_EQ(::symlink("10.1.0.2", (dir + "/10.1.0.7").c_str()), 0);
    ASSERT_EQ(::mkdir((dir + "/10.1.0.8").c_str(), 0700), 0);

    auto d = read_host_local_dir(dir + "/");
    ASSERT_TRUE(d) << d.error().describe();
    EXPECT_EQ(d->network, "mynet");
    ASSERT_EQ(d->entries.size(), 3u);
    EXPECT_EQ(d->entries[0].ip, "10.1.0.2");
    EXPECT_EQ(d->entries[0].container_id, "c-new");
    EXPECT_EQ(d->entries[0].ifname, "eth0");
    EXPECT_EQ(d->entries[0].file, "10.1.0.2");
    EXPECT_EQ(d->entries[1].ip, "10.1.0.3");
    EXPECT_EQ(d->entries[1].container_id, "c-old");
    EXPECT_EQ(d->entries[1].ifname, "");
    EXPECT_EQ(d->entries[2].ip, "fd00::5");
    EXPECT_EQ(d->entries[2].container_id, "c-v6");
    EXPECT_EQ(d->entries[2].ifname, "net1");

    ASSERT_EQ(d->last_reserved.size(), 2u);
    EXPECT_EQ(d->last_reserved[0].set, 0);
    EXPECT_EQ(d->last_reserved[0].ip, "10.1.0.3");
    EXPECT_EQ(d->last_reserved[1].set, 1);
    EXPECT_EQ(d->last_reserved[1].ip, "fd00::5");

    std::vector<std::tuple<std::string, std::string, std::string>> refused;
    for (auto& r : d->refused) refused.emplace_back(r.file, r.ip, r.reason);
    EXPECT_EQ(refused,
              (std::vector<std::tuple<std::string, std::string, std::string>>{
                  {"10.1.0.300", "", "not named by an IP address"},
                  {"10.1.0.4", "10.1.0.4", "malformed: empty (no container ID)"},
                  {"10.1.0.6", "10.1.0.6", "malformed: larger than 4096 bytes"},
                  {"10.1.0.7", "10.1.0.7", "a symbolic link, not a reservation file"},
                  {"10.1.0.8", "10.1.0.8", "not a regular file"},
                  {"garbage", "", "not named by an IP address"},
                  {"last_reserved_ip.2", "", "malformed: does not hold an IP address"},
                  {"last_reserved_ip.x", "", "not a range set index after last_reserved_ip."},
              }));
}

// A FIFO would block a plain read forever; it is refused without being read.
TEST(HostLocalDir, FifoIsRefusedWithoutBlocking) {
    TempDir tmp;
    ASSERT_EQ(::mkfifo((tmp / "10.1.0.9").c_str(), 0600), 0);
    auto d = read_host_local_dir(tmp.path());
    ASSERT_TRUE(d) << d.error().describe();
    EXPECT_TRUE(d->entries.empty());
    ASSERT_EQ(d->refused.size(), 1u);
    EXPECT_EQ(d->refused[0].reason, "not a regular file");
}

TEST(HostLocalDir, MissingDirectoryIsAnError) {
    TempDir tmp;
    auto d = read_host_local_dir(tmp / "nope");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().describe(), "cannot open the host-local data dir " + (tmp / "nope") +
                                        ": No such file or directory");
}

}  // namespace
}  // namespace warren::ctl
