#include "liveness/proc_parse.hpp"

#include <gtest/gtest.h>

namespace warren::liveness {
namespace {

TEST(ParseNetLink, ReadsTheInode) {
    EXPECT_EQ(parse_net_link("net:[4026531840]"), 4026531840u);
}

TEST(ParseNetLink, RefusesOtherTargets) {
    EXPECT_EQ(parse_net_link("mnt:[4026531840]"), std::nullopt);
    EXPECT_EQ(parse_net_link("net:[]"), std::nullopt);
    EXPECT_EQ(parse_net_link("net:[12x]"), std::nullopt);
    EXPECT_EQ(parse_net_link("net:[12"), std::nullopt);
    EXPECT_EQ(parse_net_link("net:[0]"), std::nullopt);
    EXPECT_EQ(parse_net_link("net:[-5]"), std::nullopt);
    EXPECT_EQ(parse_net_link(""), std::nullopt);
}

// Real lines from Debian 12 with `ip netns add`, a bind mount of it elsewhere, a mount namespace
// file (mnt:[...], not a network namespace) and ordinary mounts.
constexpr std::string_view kMountinfo =
    "22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "612 29 0:4 net:[4026532281] /run/netns/pod-a rw shared:310 - nsfs nsfs rw\n"
    "640 30 0:4 net:[4026532281] /tmp/keep\\040me/ns rw shared:310 - nsfs nsfs rw\n"
    "650 29 0:4 mnt:[4026532300] /run/mntns/x rw - nsfs nsfs rw\n"
    "651 29 0:4 net:[4026532999] /run/netns/no-optional-fields rw - nsfs nsfs rw\n"
    "700 29 0:48 / /run/netns rw,nosuid,nodev shared:5 master:1 - tmpfs tmpfs rw,mode=755\n"
    "garbage line\n"
    "701 29 0:4 net:[oops] /run/netns/bad rw - nsfs nsfs rw";  // no final newline

// id parent maj:min root mount-point options - fstype source super-options
constexpr const char* kTree =
    "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
    "25 22 0:23 / /run rw - tmpfs tmpfs rw\n"
    "30 25 0:4 net:[4026532100] /run/netns/a rw - nsfs nsfs rw\n"
    "31 25 0:4 net:[4026532101] /run/netns/with\\040space rw - nsfs nsfs rw\n"
    "32 25 0:4 net:[4026532102] /run/netns/covered rw - nsfs nsfs rw\n"
    "33 32 0:40 / /run/netns/covered rw - tmpfs tmpfs rw\n"
    "34 25 0:4 uts:[4026532103] /run/netns/uts rw - nsfs nsfs rw\n"
    "40 22 0:4 net:[4026532200] /var/lib/pods/p1 rw - nsfs nsfs rw\n";

TEST(MountTable, FindsTheNetworkNamespaceMountedAtAPath) {
    MountTable t(kTree);
    EXPECT_EQ(t.net_at("/run/netns/a"), 4026532100u);
    EXPECT_EQ(t.net_at("/run/netns/with space"), 4026532101u) << "mountinfo escapes a space";
    EXPECT_EQ(t.net_at("/var/lib/pods/p1"), 4026532200u);
}

TEST(MountTable, AnythingElseIsLeftToAStat) {
    MountTable t(kTree);
    EXPECT_EQ(t.net_at("/run/netns/covered"), std::nullopt) << "a tmpfs is mounted over it";
    EXPECT_EQ(t.net_at("/run/netns/uts"), std::nullopt) << "not a network namespace";
    EXPECT_EQ(t.net_at("/run/netns/gone"), std::nullopt) << "no mount there";
    EXPECT_EQ(t.net_at("/run"), std::nullopt) << "a mount, not nsfs";
    EXPECT_EQ(t.net_at("/run/netns/a/"), std::nullopt);
    EXPECT_EQ(t.net_at("/run//netns/a"), std::nullopt);
    EXPECT_EQ(t.net_at("/run/netns/./a"), std::nullopt);
    EXPECT_EQ(t.net_at("/var/run/netns/a"), std::nullopt) << "another spelling: a stat resolves it";
    EXPECT_EQ(t.net_at("run/netns/a"), std::nullopt);
    EXPECT_EQ(t.net_at("/"), std::nullopt);
    EXPECT_EQ(t.net_at(""), std::nullopt);
}

TEST(MountTable, AMountOnADirectoryAboveHidesWhatWasMountedBelowIt) {
    // /run/netns/a was bind-mounted, then a tmpfs over /run/netns hid it; /run/netns/b was
    // mounted into that tmpfs afterwards.
    MountTable t(
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "25 22 0:23 / /run rw - tmpfs tmpfs rw\n"
        "30 25 0:4 net:[4026532100] /run/netns/a rw - nsfs nsfs rw\n"
        "50 25 0:41 / /run/netns rw - tmpfs tmpfs rw\n"
        "51 50 0:4 net:[4026532300] /run/netns/b rw - nsfs nsfs rw\n");
    EXPECT_EQ(t.net_at("/run/netns/a"), std::nullopt);
    EXPECT_EQ(t.net_at("/run/netns/b"), 4026532300u);
}

TEST(MountTable, ARootCoveredByAnotherRootStillResolves) {
    MountTable t(
        "1 0 0:1 / / rw - rootfs rootfs rw\n"
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "30 22 0:4 net:[4026532100] /x rw - nsfs nsfs rw\n");
    EXPECT_EQ(t.net_at("/x"), 4026532100u);
}

TEST(MountTable, ATreeItCannotReadAnswersNothing) {
    EXPECT_EQ(MountTable("").net_at("/run/netns/a"), std::nullopt);
    EXPECT_EQ(MountTable(std::string(kTree) + "garbage line\n").net_at("/run/netns/a"),
              std::nullopt);
    // Two roots.
    EXPECT_EQ(MountTable("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                         "23 2 8:2 / / rw - ext4 /dev/sdb1 rw\n"
                         "30 22 0:4 net:[4026532100] /a rw - nsfs nsfs rw\n")
                  .net_at("/a"),
              std::nullopt);
    // Two mounts of one parent at one point.
    EXPECT_EQ(MountTable("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                         "30 22 0:4 net:[4026532100] /a rw - nsfs nsfs rw\n"
                         "31 22 0:4 net:[4026532101] /a rw - nsfs nsfs rw\n")
                  .net_at("/a"),
              std::nullopt);
}

TEST(ParseProcNetPath, ReadsThePidOrSelf) {
    EXPECT_EQ(parse_proc_net_path("/proc/4242/ns/net", 7), 4242);
    EXPECT_EQ(parse_proc_net_path("/proc/1/ns/net", 7), 1);
    EXPECT_EQ(parse_proc_net_path("/proc/self/ns/net", 7), 7);
}

TEST(ParseProcNetPath, LeavesEveryOtherSpellingToAStat) {
    EXPECT_EQ(parse_proc_net_path("/proc/self/ns/net", 0), std::nullopt) << "self unknown";
    EXPECT_EQ(parse_proc_net_path("/proc/0123/ns/net", 7), std::nullopt) << "procfs: no such pid";
    EXPECT_EQ(parse_proc_net_path("/proc/0/ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc/-1/ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc/12x/ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc//ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc//12/ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc/12/ns/net/", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc/12/ns/mnt", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc/12/task/13/ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc/thread-self/ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/host/proc/12/ns/net", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/run/netns/cni-1", 7), std::nullopt);
    EXPECT_EQ(parse_proc_net_path("/proc/99999999999999/ns/net", 7), std::nullopt) << "overflow";
    EXPECT_EQ(parse_proc_net_path("", 7), std::nullopt);
}

TEST(ParseNsfsMounts, FindsNetworkNamespaceMountsOnly) {
    const auto mounts = parse_nsfs_mounts(kMountinfo);
    const std::vector<NsfsMount> want = {
        {4026532281u, "/run/netns/pod-a"},
        {4026532281u, "/tmp/keep me/ns"},
        {4026532999u, "/run/netns/no-optional-fields"},
    };
    EXPECT_EQ(mounts, want);
}

TEST(ParseNsfsMounts, EmptyTextHasNone) {
    EXPECT_TRUE(parse_nsfs_mounts("").empty());
}

}  // namespace
}  // namespace warren::liveness
