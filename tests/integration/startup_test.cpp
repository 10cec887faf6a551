// warrend's start-up: bad flags, a state dir that is taken or unusable, and journal damage
// (a corrupt record in the middle stops it; a torn tail is cut and nothing answered is lost).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fixture.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.199.0.0/24";

class StartupTest : public IntegrationTest {
protected:
    // warrend in the foreground with `args` after its state dir and socket; it must exit.
    RunResult run_agent(std::vector<std::string> args, const std::string& name = "oneshot") {
        std::vector<std::string> argv{warrend_path(), "--state-dir", tmp(name + "/state"), "--socket",
                                      tmp(name + "/warren.sock")};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_cmd(argv, 5s);
    }

    json conf() { return plugin_conf("wrn-net", warren_ipam(agent().socket()), "1.0.0"); }

    // Starts the agent, makes `n` ADDs, stops it; returns key -> addresses.
    std::map<std::string, std::vector<std::string>> populate(int n, const std::string& netns) {
        std::map<std::string, std::vector<std::string>> out;
        EXPECT_TRUE(agent().start({.pod_cidrs = {kV4}}));
        for (int i = 0; i < n; ++i) {
            auto key = "pop-" + std::to_string(i);
            auto r = warren_plugin(conf(), call("ADD", key, netns));
            EXPECT_TRUE(r.ok()) << r.describe();
            out[key] = r.addresses();
        }
        // A DEL in the middle, so the journal holds more than allocations.
        EXPECT_TRUE(warren_plugin(conf(), call("DEL", "pop-1")).ok());
        out.erase("pop-1");
        EXPECT_TRUE(agent().stop());
        return out;
    }

    static std::string output(const RunResult& r) { return r.out + r.err; }
};

// 13a. Bad --pod-cidr values and two of one family are refused, naming the flag and the value.
TEST_F(StartupTest, BadPodCidrFlagsAreRefusedWithAMessage) {
    WARREN_REQUIRE_ROOT();
    for (std::string bad : {"10.199.0.0/33", "not-a-cidr", "10.199.0.0", "fd00:199::/129"}) {
        auto r = run_agent({"--pod-cidr", bad});
        EXPECT_FALSE(r.timed_out) << bad << ": warrend started with a bad --pod-cidr";
        EXPECT_NE(r.exit_code, 0) << bad;
        EXPECT_NE(output(r).find("--pod-cidr"), std::string::npos) << bad << ": " << r.describe();
        EXPECT_NE(output(r).find(bad), std::string::npos) << bad << ": " << r.describe();
    }
    auto two_v4 = run_agent({"--pod-cidr", "10.199.0.0/24", "--pod-cidr", "10.199.1.0/24"});
    EXPECT_FALSE(two_v4.timed_out);
    EXPECT_NE(two_v4.exit_code, 0);
    EXPECT_NE(output(two_v4).find("10.199.0.0/24"), std::string::npos) << two_v4.describe();
    EXPECT_NE(output(two_v4).find("10.199.1.0/24"), std::string::npos) << two_v4.describe();
    auto two_v6 = run_agent({"--pod-cidr", "fd00:199::/64", "--pod-cidr", "fd00:198::/64"});
    EXPECT_FALSE(two_v6.timed_out);
    EXPECT_NE(two_v6.exit_code, 0) << two_v6.describe();
    // Nothing was created for a refused configuration.
    EXPECT_FALSE(std::filesystem::exists(tmp("oneshot/warren.sock")));
}

// 13b. A second warrend on the same state dir fails with "in use" and leaves the first serving,
// even when it is pointed at the same socket.
TEST_F(StartupTest, SecondAgentOnSameStateDirFailsInUse) {
    WARREN_REQUIRE_ROOT();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    for (auto socket : {tmp("other.sock"), agent().socket()}) {
        auto r = run_cmd({warrend_path(), "--state-dir", agent().state_dir(), "--socket", socket, "--pod-cidr", kV4},
                         5s);
        EXPECT_FALSE(r.timed_out) << "a second warrend runs on a locked state dir";
        EXPECT_NE(r.exit_code, 0);
        EXPECT_NE(output(r).find("in use"), std::string::npos) << r.describe();
        EXPECT_NE(output(r).find(std::to_string(agent().pid())), std::string::npos) << r.describe();
    }
    ASSERT_TRUE(agent().running());
    auto add = warren_plugin(conf(), call("ADD", "first-still-serves", ns.path()));
    EXPECT_TRUE(add.ok()) << add.describe();
}

// 13c. A state dir below a regular file is a clear error naming the path.
TEST_F(StartupTest, StateDirUnderARegularFileIsAClearError) {
    WARREN_REQUIRE_ROOT();
    write_file(tmp("plainfile"), "x");
    const std::string dir = tmp("plainfile/state");
    auto r = run_cmd({warrend_path(), "--state-dir", dir, "--socket", tmp("s.sock"), "--pod-cidr", kV4}, 5s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(output(r).find(tmp("plainfile")), std::string::npos) << r.describe();
    EXPECT_NE(output(r).find("Not a directory"), std::string::npos) << r.describe();
}

// 13d. A corrupt record in the middle of the journal stops start-up with "corrupt" and the
// offset, and the journal is left as it was (nothing acknowledged is silently dropped).
TEST_F(StartupTest, CorruptJournalRecordInTheMiddleRefusesStart) {
    WARREN_REQUIRE_ROOT();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    populate(8, ns.path());
    std::string bytes = read_file(agent().journal());
    const size_t end = bytes.find_last_not_of('\0') + 1;  // the zero-filled room after it is not journal
    ASSERT_GT(end, 200u);
    const size_t at = end / 2;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
    write_file(agent().journal(), bytes);

    auto r = run_cmd(agent().command({.pod_cidrs = {kV4}}), 5s);
    EXPECT_FALSE(r.timed_out) << "warrend started on a corrupt journal";
    EXPECT_NE(r.exit_code, 0);
    const std::string out = output(r);
    EXPECT_NE(out.find("corrupt"), std::string::npos) << out;
    auto pos = out.find("offset ");
    ASSERT_NE(pos, std::string::npos) << out;
    size_t offset = std::stoul(out.substr(pos + 7));
    EXPECT_LE(offset, at) << out;
    EXPECT_EQ(read_file(agent().journal()), bytes) << "the journal was modified by a refused start";
}

// 13e. A torn tail (garbage after the last record, as after a crash mid-write) is cut at start;
// every allocation is kept.
TEST_F(StartupTest, TornJournalTailIsCutAndAllocationsKept) {
    WARREN_REQUIRE_ROOT();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    auto held = populate(8, ns.path());
    std::string before = read_file(agent().journal());
    before.erase(before.find_last_not_of('\0') + 1);  // the journal, without its zero-filled room
    {  // a crash in the middle of the next append
        std::fstream out(agent().journal(), std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(static_cast<std::streamoff>(before.size()));
        out.write("\x13\x37\xde\xad\xbe\xef\x01", 7);
    }
    ASSERT_TRUE(agent().restart());
    EXPECT_NE(agent().log().find("torn"), std::string::npos) << agent().log();
    EXPECT_EQ(read_file(agent().journal()).substr(0, before.size()), before);
    for (auto& [key, addrs] : held) {
        auto r = warren_plugin(conf(), call("ADD", key, ns.path()));
        ASSERT_TRUE(r.ok()) << key << ": " << r.describe();
        EXPECT_EQ(r.addresses(), addrs) << key;
    }
    // And the journal keeps working after the cut.
    auto fresh = warren_plugin(conf(), call("ADD", "after-tear", ns.path()));
    ASSERT_TRUE(fresh.ok()) << fresh.describe();
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    auto again = warren_plugin(conf(), call("ADD", "after-tear", ns.path()));
    EXPECT_EQ(again.addresses(), fresh.addresses());
}


// 13f. The socket path taken by a live warrend (another state dir) or by a regular file: a clear
// error, and the live agent's socket (or the file) is left alone.
TEST_F(StartupTest, SocketPathInUseOrNotASocketIsRefused) {
    WARREN_REQUIRE_ROOT();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    auto r = run_cmd({warrend_path(), "--state-dir", tmp("other-state"), "--socket", agent().socket(), "--pod-cidr",
                      kV4},
                     5s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(output(r).find("already serving"), std::string::npos) << r.describe();
    auto add = warren_plugin(conf(), call("ADD", "socket-owner", ns.path()));
    EXPECT_TRUE(add.ok()) << "the first agent lost its socket: " << add.describe();

    write_file(tmp("plain.sock"), "not a socket");
    r = run_cmd({warrend_path(), "--state-dir", tmp("third-state"), "--socket", tmp("plain.sock"), "--pod-cidr", kV4},
                5s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(output(r).find("not a socket"), std::string::npos) << r.describe();
    EXPECT_EQ(read_file(tmp("plain.sock")), "not a socket");
}

// 13g. A damaged snapshot stops start-up with a message naming it; it is never silently ignored.
TEST_F(StartupTest, DamagedSnapshotRefusesStart) {
    WARREN_REQUIRE_ROOT();
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    const std::string cfg = tmp("snapshots.json");
    write_file(cfg, R"({"snapshotAfterBytes": 1024})");
    AgentSpec spec{.pod_cidrs = {kV4}, .extra_args = {"--config", cfg}};
    ASSERT_TRUE(agent().start(spec));
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(warren_plugin(conf(), call("ADD", "snap-" + std::to_string(i), ns.path())).ok());
    ASSERT_TRUE(agent().stop());
    const std::string snap = agent().state_dir() + "/snapshot.bin";
    std::string bytes = read_file(snap);
    ASSERT_GT(bytes.size(), 64u) << "no snapshot was written; log:\n" << agent().log();
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    write_file(snap, bytes);
    auto r = run_cmd(agent().command(spec), 5s);
    EXPECT_FALSE(r.timed_out) << "warrend started on a damaged snapshot";
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(output(r).find("snapshot.bin"), std::string::npos) << output(r);
    EXPECT_NE(output(r).find("damaged"), std::string::npos) << output(r);
    EXPECT_EQ(read_file(snap), bytes);
}

// 13h. A state dir that another user could write, or that another user owns, is refused at start
// with a message naming the path, its owner and mode, and the fix; nothing is created in it.
TEST_F(StartupTest, StateDirNotOwnedOrWritableByOthersIsRefused) {
    WARREN_REQUIRE_ROOT();
    struct Case {
        const char* name;
        unsigned mode;
        uid_t owner;
        std::string says;
    };
    for (const Case& c :
         {Case{"open", 0777, 0, "owned by root (uid 0) with mode 0777"},
          Case{"group", 0770, 0, "owned by root (uid 0) with mode 0770"},
          Case{"foreign", 0700, 65534, "owned by nobody (uid 65534) with mode 0700"}}) {
        const std::string dir = tmp(std::string(c.name) + "/state");
        std::filesystem::create_directories(dir);
        ASSERT_EQ(::chmod(dir.c_str(), c.mode), 0);
        ASSERT_EQ(::chown(dir.c_str(), c.owner, c.owner), 0);
        auto r = run_agent({"--pod-cidr", kV4}, c.name);
        EXPECT_FALSE(r.timed_out) << c.name << ": warrend started on an untrusted state dir";
        EXPECT_NE(r.exit_code, 0) << c.name;
        EXPECT_NE(output(r).find("refusing state directory " + dir + ": it is " + c.says),
                  std::string::npos)
            << c.name << ": " << r.describe();
        EXPECT_NE(output(r).find("chown root: " + dir + " && chmod 0700 " + dir), std::string::npos)
            << c.name << ": " << r.describe();
        EXPECT_TRUE(std::filesystem::is_empty(dir)) << c.name << ": files were created in it";
        EXPECT_FALSE(std::filesystem::exists(tmp(std::string(c.name) + "/warren.sock"))) << c.name;
    }
}

// 13i. A journal.wal planted as a symlink is refused at start, and its target is left alone.
TEST_F(StartupTest, SymlinkedJournalIsRefusedAndItsTargetUntouched) {
    WARREN_REQUIRE_ROOT();
    const std::string dir = tmp("linked/state");
    std::filesystem::create_directories(dir);
    ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
    write_file(tmp("victim"), "precious\n");
    ASSERT_EQ(::symlink(tmp("victim").c_str(), (dir + "/journal.wal").c_str()), 0);
    auto r = run_agent({"--pod-cidr", kV4}, "linked");
    EXPECT_FALSE(r.timed_out) << "warrend started on a symlinked journal";
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(output(r).find("refusing journal " + dir + "/journal.wal: it is a symbolic link"),
              std::string::npos)
        << r.describe();
    EXPECT_EQ(read_file(tmp("victim")), "precious\n");
}

}  // namespace
}  // namespace warren::it
