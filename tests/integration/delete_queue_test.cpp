// The delete queue against the real warrend (DESIGN §6): whatever is planted in the queue, the
// agent serves at once; only entries that are regular files owned by root or the agent are
// applied, the rest are moved aside; a queue directory others could write refuses the start.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "fixture.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.199.0.0/24";

class DeleteQueueTest : public IntegrationTest {
  protected:
    json conf() { return plugin_conf("wrn-net", warren_ipam(agent().socket()), "1.0.0"); }
    CniResult run(const std::string& command, const std::string& container,
                  std::chrono::milliseconds timeout = 20s) {
        auto c = call(command, container, netns_path_);
        c.timeout = timeout;
        return warren_plugin(conf(), c);
    }
    // CHECK of the reservation `add` made for `container`.
    CniResult check(const CniResult& add, const std::string& container) {
        json with_prev = conf();
        with_prev["prevResult"] = add.j;
        return warren_plugin(with_prev, call("CHECK", container, netns_path_));
    }
    void use_netns() { netns_path_ = new_netns().path(); }

    // Names of the queue's committed entries (del-*.json), sorted.
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        std::error_code ec;
        for (auto& e : std::filesystem::directory_iterator(queue(), ec)) {
            auto n = e.path().filename().string();
            if (n.starts_with("del-") && n.ends_with(".json")) out.push_back(n);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    std::string queue() const { return tmp("agent/delete-queue"); }

    // Polls `done` for up to 5 s (the start-up pass and two periodic scans).
    static bool eventually(const std::function<bool()>& done) {
        for (int i = 0; i < 100; ++i) {
            if (done()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return done();
    }
    static bool exists_nofollow(const std::string& path) {
        struct stat st {};
        return ::lstat(path.c_str(), &st) == 0;
    }

    // Starts the agent, ADDs `container`, stops the agent and DELs it (so the DEL is queued).
    // Returns the ADD's result and the queued entry's name.
    std::pair<CniResult, std::string> queue_a_del(const std::string& container) {
        EXPECT_TRUE(agent().start({.pod_cidrs = {kV4}}));
        auto added = run("ADD", container);
        EXPECT_TRUE(added.ok()) << added.describe();
        EXPECT_TRUE(agent().stop());
        auto before = entries();
        auto del = run("DEL", container);
        EXPECT_TRUE(del.ok()) << del.describe();
        auto after = entries();
        std::string name;
        for (auto& n : after)
            if (std::find(before.begin(), before.end(), n) == before.end()) name = n;
        EXPECT_FALSE(name.empty())
            << "the DEL of " << container << " was not queued in " << queue();
        return {added, name};
    }

    std::string netns_path_;
};

// A FIFO named like an entry hung warrend at start, before it served anything. Now it serves an
// ADD at once, applies the other queued DELs, moves the FIFO aside and says so in its log.
TEST_F(DeleteQueueTest, FifoInTheQueueDoesNotStopTheAgentServing) {
    WARREN_REQUIRE_ROOT();
    use_netns();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    auto kept = run("ADD", "dq-keep");
    ASSERT_TRUE(kept.ok()) << kept.describe();
    ASSERT_TRUE(agent().stop());
    auto [gone, entry] = queue_a_del("dq-gone");
    ASSERT_FALSE(entry.empty());
    const std::string fifo = queue() + "/del-00000000000000000000-1.json";  // sorts first
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

    ASSERT_TRUE(agent().restart());
    auto served = run("ADD", "dq-new", 10s);
    EXPECT_TRUE(served.ok()) << "warrend did not serve with a FIFO in its queue: "
                             << served.describe() << "\nlog:\n"
                             << agent().log();

    EXPECT_TRUE(eventually([&] { return entries().empty(); })) << "left in the queue; log:\n"
                                                               << agent().log();
    struct stat st {};
    ASSERT_EQ(::lstat((queue() + "/bad-del-00000000000000000000-1.json").c_str(), &st), 0)
        << "the FIFO was not moved aside; log:\n"
        << agent().log();
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    auto check_gone = check(gone, "dq-gone");
    EXPECT_FALSE(check_gone.ok()) << "the queued DEL of dq-gone was not applied";
    auto check_kept = check(kept, "dq-keep");
    EXPECT_TRUE(check_kept.ok()) << check_kept.describe();
    // The pass's summary is logged once its last DEL is durable (the files go meanwhile).
    EXPECT_TRUE(eventually([&] {
        return agent().log().find(
                   "1 applied (1 released an address), 0 refused (0 superseded by a "
                   "later ADD, 0 not owned by root or uid 0), 1 moved aside") != std::string::npos;
    })) << agent().log();
    EXPECT_NE(agent().log().find("del-00000000000000000000-1.json is a FIFO"), std::string::npos)
        << agent().log();
}

// An entry someone else owns is a DEL anyone could have planted: refused and moved aside.
TEST_F(DeleteQueueTest, EntryOwnedByAnotherUserIsNotApplied) {
    WARREN_REQUIRE_ROOT();
    use_netns();
    auto [victim, entry] = queue_a_del("dq-victim");
    ASSERT_FALSE(entry.empty());
    ASSERT_EQ(::chown((queue() + "/" + entry).c_str(), 65534, 65534), 0);

    ASSERT_TRUE(agent().restart());
    EXPECT_TRUE(eventually([&] { return exists_nofollow(queue() + "/bad-" + entry); }))
        << "the foreign entry was not moved aside; log:\n"
        << agent().log();
    EXPECT_TRUE(entries().empty());
    auto still = check(victim, "dq-victim");
    EXPECT_TRUE(still.ok()) << "a DEL owned by uid 65534 was applied: " << still.describe();
    EXPECT_TRUE(eventually([&] {
        return agent().log().find(
                   "0 applied (0 released an address), 1 refused (0 superseded by a "
                   "later ADD, 1 not owned by root or uid 0), 1 moved aside") != std::string::npos;
    })) << agent().log();
    EXPECT_NE(agent().log().find(entry + " is owned by uid 65534, not root or warrend's uid 0"),
              std::string::npos)
        << agent().log();
}

// A symlink entry is not followed: the DEL it points at is not applied, the target stays.
TEST_F(DeleteQueueTest, SymlinkEntryIsNotFollowed) {
    WARREN_REQUIRE_ROOT();
    use_netns();
    auto [victim, entry] = queue_a_del("dq-linked");
    ASSERT_FALSE(entry.empty());
    const std::string target = tmp("elsewhere.json");
    std::filesystem::rename(queue() + "/" + entry, target);
    ASSERT_EQ(::symlink(target.c_str(), (queue() + "/" + entry).c_str()), 0);

    ASSERT_TRUE(agent().restart());
    EXPECT_TRUE(eventually([&] { return exists_nofollow(queue() + "/bad-" + entry); }))
        << "the symlink was not moved aside; log:\n"
        << agent().log();
    struct stat st {};
    ASSERT_EQ(::lstat((queue() + "/bad-" + entry).c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    EXPECT_TRUE(std::filesystem::is_regular_file(target));
    auto still = check(victim, "dq-linked");
    EXPECT_TRUE(still.ok()) << "a DEL behind a symlink was applied: " << still.describe();
}

// A queue directory that others may write, or that belongs to someone else, refuses the start
// with the path, its owner and its mode.
TEST_F(DeleteQueueTest, QueueDirWritableByOthersOrOwnedBySomeoneElseRefusesStart) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(std::filesystem::create_directories(queue()));
    ASSERT_EQ(::chmod(queue().c_str(), 0777), 0);
    auto open = agent().start({.pod_cidrs = {kV4}});
    ASSERT_FALSE(open) << "warrend started with a world-writable delete queue";
    EXPECT_NE(agent().log().find("delete queue directory " + queue() +
                                 " is owned by uid 0 with mode 0777"),
              std::string::npos)
        << agent().log();

    ASSERT_EQ(::chmod(queue().c_str(), 0700), 0);
    ASSERT_EQ(::chown(queue().c_str(), 65534, 65534), 0);
    auto foreign = agent().start({.pod_cidrs = {kV4}});
    ASSERT_FALSE(foreign) << "warrend started with a delete queue owned by uid 65534";
    EXPECT_NE(agent().log().find("delete queue directory " + queue() +
                                 " is owned by uid 65534 with mode 0700"),
              std::string::npos)
        << agent().log();

    ASSERT_EQ(::chown(queue().c_str(), 0, 0), 0);
    EXPECT_TRUE(agent().start({.pod_cidrs = {kV4}}));
}

}  // namespace
}  // namespace warren::it
