#include "warren/delete_queue.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <regex>
#include <thread>

#include "cni_test_util.hpp"
#include "support/privileged.hpp"

namespace warren::proto {
namespace {

using warren::cni::testing::TempDir;

Request del(const std::string& container) {
    Request r;
    r.op = Op::del;
    r.network = "podnet";
    r.container_id = container;
    r.ifname = "eth0";
    r.netns = "/var/run/netns/" + container;
    r.pod = {"default", "web-" + container, "uid-" + container};
    r.ranges = nlohmann::json::parse(R"([[{"subnet":"10.1.0.0/24"}]])");
    return r;
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream(path) << data;
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(DeleteQueue, EnqueueCreatesDirectoriesAndOneCommittedEntry) {
    TempDir tmp;
    std::string dir = tmp / "run/warren/delete-queue";
    ASSERT_TRUE(enqueue_delete(dir, del("a")));

    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat((tmp / "run/warren").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0755u);

    auto names = names_in(dir);
    ASSERT_EQ(names.size(), 1u);
    EXPECT_TRUE(std::regex_match(
        names[0], std::regex("del-[0-9]{20}-" + std::to_string(::getpid()) + "\\.json")))
        << names[0];
    ASSERT_EQ(::stat((dir + "/" + names[0]).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    auto list = list_deletes(dir);
    ASSERT_TRUE(list) << list.error().describe();
    ASSERT_EQ(list->size(), 1u);
    auto& q = (*list)[0];
    EXPECT_EQ(q.path, dir + "/" + names[0]);
    ASSERT_TRUE(q.request) << q.request.error().message;
    EXPECT_EQ(q.request->op, Op::del);
    EXPECT_EQ(q.request->container_id, "a");
    EXPECT_EQ(q.request->netns, "/var/run/netns/a");
    EXPECT_EQ(q.request->pod, (PodRef{"default", "web-a", "uid-a"}));
    EXPECT_EQ(q.request->ranges, del("a").ranges);
    EXPECT_EQ(encode(*q.request), encode(del("a")));

    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    uint64_t now_ns =
        static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
    EXPECT_LE(static_cast<uint64_t>(q.enqueued_unix_ns), now_ns);
    EXPECT_GT(static_cast<uint64_t>(q.enqueued_unix_ns), now_ns - 60ull * 1000000000ull);
}

TEST(DeleteQueue, ListIsInArrivalOrderAndNamesAreDistinct) {
    TempDir tmp;
    std::vector<std::string> ids;
    for (int i = 0; i < 50; ++i) {
        ids.push_back("c" + std::to_string(i));
        ASSERT_TRUE(enqueue_delete(tmp.path(), del(ids.back())));
    }
    auto list = list_deletes(tmp.path());
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        ASSERT_TRUE((*list)[i].request);
        EXPECT_EQ((*list)[i].request->container_id, ids[i]);
        if (i > 0) {
            EXPECT_LT((*list)[i - 1].enqueued_unix_ns, (*list)[i].enqueued_unix_ns);
        }
    }
}

TEST(DeleteQueue, MissingDirIsEmpty) {
    TempDir tmp;
    auto list = list_deletes(tmp / "nope");
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->empty());
}

TEST(DeleteQueue, TempFilesOtherNamesAndDirectoriesAreIgnored) {
    TempDir tmp;
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("a")));
    write_file(tmp / ".tmp-123-456", "partial");
    write_file(tmp / "README", "x");
    write_file(tmp / "bad-del-00000000000000000001-1.json", "moved aside");
    write_file(tmp / "del-00000000000000000001-1.json.bad", "moved aside");
    ASSERT_EQ(::mkdir((tmp / "del-00000000000000000002-1.json").c_str(), 0700), 0);
    auto list = list_deletes(tmp.path());
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1u);
    ASSERT_TRUE((*list)[0].request);
    EXPECT_EQ((*list)[0].request->container_id, "a");
}

TEST(DeleteQueue, UndecodableEntriesAreReportedInPlace) {
    TempDir tmp;
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("good")));
    write_file(tmp / "del-00000000000000000001-1.json", "{not json");
    Request add = del("x");
    add.op = Op::add;
    write_file(tmp / "del-00000000000000000002-1.json", encode(add));
    write_file(tmp / "del-00000000000000000003-1.json",
               R"({"op":"del","network":"n"})");  // no container
    write_file(tmp / "del-xyz-1.json", encode(del("y")));

    auto list = list_deletes(tmp.path());
    ASSERT_TRUE(list) << list.error().describe();
    ASSERT_EQ(list->size(), 5u);
    // Sorted by name: the three old-timestamp entries first, then the real one, then del-xyz.
    EXPECT_EQ((*list)[0].path, tmp / "del-00000000000000000001-1.json");
    EXPECT_EQ((*list)[0].enqueued_unix_ns, 1);
    ASSERT_FALSE((*list)[0].request);
    EXPECT_EQ((*list)[0].request.error().code, Code::decode);
    ASSERT_FALSE((*list)[1].request);
    EXPECT_NE((*list)[1].request.error().message.find("not a DEL"), std::string::npos);
    ASSERT_FALSE((*list)[2].request);
    ASSERT_TRUE((*list)[3].request);
    EXPECT_EQ((*list)[3].request->container_id, "good");
    ASSERT_FALSE((*list)[4].request);
    EXPECT_NE((*list)[4].request.error().message.find("malformed name"), std::string::npos);
}

TEST(DeleteQueue, RemoveIsIdempotent) {
    TempDir tmp;
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("a")));
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("b")));
    auto list = list_deletes(tmp.path());
    ASSERT_TRUE(list && list->size() == 2);
    ASSERT_TRUE(remove_delete((*list)[0].path));
    ASSERT_TRUE(remove_delete((*list)[0].path));
    list = list_deletes(tmp.path());
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].request->container_id, "b");
}

TEST(DeleteQueue, OnlyDeletesAreQueued) {
    TempDir tmp;
    Request add = del("a");
    add.op = Op::add;
    auto s = enqueue_delete(tmp.path(), add);
    ASSERT_FALSE(s);
    EXPECT_TRUE(names_in(tmp.path()).empty());
}

TEST(DeleteQueue, EnqueueFailsCleanlyWhenTheDirIsAFile) {
    TempDir tmp;
    write_file(tmp / "file", "x");
    auto s = enqueue_delete(tmp / "file", del("a"));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Code::io);
    auto nested = enqueue_delete(tmp / "file/sub", del("a"));
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().sys_errno, ENOTDIR);
}

TEST(DeleteQueue, StaleTempsAreRemovedYoungOnesKept) {
    TempDir tmp;
    write_file(tmp / ".tmp-1-1", "old");
    write_file(tmp / ".tmp-2-2", "young");
    timespec old_times[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (tmp / ".tmp-1-1").c_str(), old_times, 0), 0);
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("a")));
    auto removed = remove_stale_temps(tmp.path(), std::chrono::seconds(600));
    ASSERT_TRUE(removed);
    EXPECT_EQ(*removed, 1u);
    auto names = names_in(tmp.path());
    ASSERT_EQ(names.size(), 2u);
    EXPECT_EQ(names[0], ".tmp-2-2");
    EXPECT_EQ(names[1].substr(0, 4), "del-");
}

// Restores the process umask when it goes out of scope.
class UmaskGuard {
  public:
    explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
    ~UmaskGuard() { ::umask(old_); }
    UmaskGuard(const UmaskGuard&) = delete;
    UmaskGuard& operator=(const UmaskGuard&) = delete;

  private:
    mode_t old_;
};

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

// A FIFO named like an entry must not hang the reader (it waited for a writer forever before).
// The listing runs in a thread; should it block, the test opens the FIFO for writing, which
// releases it, and fails.
TEST(DeleteQueue, FifoEntryIsReportedWithoutBlocking) {
    TempDir tmp;
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("good")));
    const std::string fifo = tmp / "del-00000000000000000001-1.json";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

    std::promise<Result<std::vector<QueuedDelete>>> promise;
    auto future = promise.get_future();
    std::thread lister([&] { promise.set_value(list_deletes(tmp.path())); });
    const bool finished = future.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
    if (!finished) {
        int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);  // wakes the reader
        if (w >= 0) ::close(w);
    }
    lister.join();
    EXPECT_TRUE(finished) << "list_deletes blocked on a FIFO in the queue";

    auto list = future.get();
    ASSERT_TRUE(list) << list.error().describe();
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].path, fifo);
    ASSERT_FALSE((*list)[0].request);
    EXPECT_NE((*list)[0].request.error().message.find("FIFO"), std::string::npos)
        << (*list)[0].request.error().message;
    EXPECT_FALSE((*list)[0].foreign_owner);
    ASSERT_TRUE((*list)[1].request);
    EXPECT_EQ((*list)[1].request->container_id, "good");
}

// An entry that is a symlink is neither read nor followed when moved aside.
TEST(DeleteQueue, SymlinkEntryIsNotFollowed) {
    TempDir tmp;
    const std::string queue = tmp / "queue";
    ASSERT_EQ(::mkdir(queue.c_str(), 0700), 0);
    const std::string target = tmp / "elsewhere.json";
    write_file(target, encode(del("victim")));
    const std::string link = queue + "/del-00000000000000000001-1.json";
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);

    auto list = list_deletes(queue);
    ASSERT_TRUE(list) << list.error().describe();
    ASSERT_EQ(list->size(), 1u);
    ASSERT_FALSE((*list)[0].request);
    EXPECT_NE((*list)[0].request.error().message.find("symbolic link"), std::string::npos)
        << (*list)[0].request.error().message;

    auto aside = move_aside(link);
    ASSERT_TRUE(aside) << aside.error().describe();
    EXPECT_EQ(*aside, queue + "/bad-del-00000000000000000001-1.json");
    struct stat st {};
    ASSERT_EQ(::lstat(aside->c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    std::ifstream in(target);
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(kept, encode(del("victim")));
    auto after = list_deletes(queue);
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->empty());
}

// Only entries owned by root or the trusted uid are read; others are refused unread.
TEST(DeleteQueue, EntryOwnedBySomeoneElseIsRefused) {
    WARREN_REQUIRE_ROOT();
    TempDir tmp;
    const std::string name = "del-00000000000000000001-1.json";
    write_file(tmp / name, encode(del("planted")));
    ASSERT_EQ(::chown((tmp / name).c_str(), 65534, 65534), 0);
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("mine")));

    auto list = list_deletes(tmp.path());
    ASSERT_TRUE(list) << list.error().describe();
    ASSERT_EQ(list->size(), 2u);
    ASSERT_FALSE((*list)[0].request);
    EXPECT_TRUE((*list)[0].foreign_owner);
    EXPECT_NE((*list)[0].request.error().message.find("owned by uid 65534"), std::string::npos)
        << (*list)[0].request.error().message;
    ASSERT_TRUE((*list)[1].request);
    EXPECT_FALSE((*list)[1].foreign_owner);
    EXPECT_EQ((*list)[1].request->container_id, "mine");

    // The same entry is read when its owner is the trusted uid (an agent running as 65534, in
    // a directory it owns).
    ASSERT_EQ(::chown(tmp.path().c_str(), 65534, 65534), 0);
    auto as_nobody = list_deletes(tmp.path(), {65534});
    ASSERT_TRUE(as_nobody) << as_nobody.error().describe();
    ASSERT_EQ(as_nobody->size(), 2u);
    ASSERT_TRUE((*as_nobody)[0].request) << (*as_nobody)[0].request.error().message;
    EXPECT_EQ((*as_nobody)[0].request->container_id, "planted");
    ASSERT_TRUE((*as_nobody)[1].request);  // root's entries are trusted by any agent
}

TEST(DeleteQueue, QueueDirOfAnotherOwnerOrWritableByOthersIsRefused) {
    WARREN_REQUIRE_ROOT();
    TempDir tmp;
    const std::string queue = tmp / "queue";
    EXPECT_TRUE(check_queue_dir(queue, 0)) << "a missing queue dir is fine";
    ASSERT_EQ(::mkdir(queue.c_str(), 0700), 0);
    EXPECT_TRUE(check_queue_dir(queue, 0));
    ASSERT_TRUE(enqueue_delete(queue, del("a")));

    ASSERT_EQ(::chmod(queue.c_str(), 0777), 0);
    auto open = check_queue_dir(queue, 0);
    ASSERT_FALSE(open);
    EXPECT_EQ(open.error().code, Code::invalid_config);
    EXPECT_NE(open.error().message.find(queue), std::string::npos) << open.error().message;
    EXPECT_NE(open.error().message.find("uid 0"), std::string::npos) << open.error().message;
    EXPECT_NE(open.error().message.find("mode 0777"), std::string::npos) << open.error().message;
    auto list = list_deletes(queue);
    ASSERT_FALSE(list);
    EXPECT_EQ(list.error().message, open.error().message);

    ASSERT_EQ(::chmod(queue.c_str(), 0720), 0);
    EXPECT_FALSE(check_queue_dir(queue, 0)) << "group-writable";

    ASSERT_EQ(::chmod(queue.c_str(), 0700), 0);
    ASSERT_EQ(::chown(queue.c_str(), 65534, 65534), 0);
    auto foreign = check_queue_dir(queue, 0);
    ASSERT_FALSE(foreign);
    EXPECT_NE(foreign.error().message.find("owned by uid 65534"), std::string::npos)
        << foreign.error().message;
    EXPECT_NE(foreign.error().message.find("mode 0700"), std::string::npos);
    EXPECT_TRUE(check_queue_dir(queue, 65534));

    const std::string link = tmp / "link";
    ASSERT_EQ(::symlink(queue.c_str(), link.c_str()), 0);
    auto linked = check_queue_dir(link, 65534);
    ASSERT_FALSE(linked);
    EXPECT_NE(linked.error().message.find("symbolic link"), std::string::npos)
        << linked.error().message;
}

// Directories get their modes from fchmod, not from mkdir and the umask.
TEST(DeleteQueue, DirectoriesAndEntriesGetExplicitModesWhateverTheUmask) {
    TempDir tmp;
    for (mode_t umask_value : {mode_t{0}, mode_t{077}, mode_t{0777}}) {
        SCOPED_TRACE("umask " + std::to_string(umask_value));
        const std::string top = tmp / ("u" + std::to_string(umask_value));
        const std::string queue = top + "/run/warren/delete-queue";
        {
            UmaskGuard guard(umask_value);
            ASSERT_TRUE(enqueue_delete(queue, del("a")));
        }
        EXPECT_EQ(mode_of(top), 0755u);
        EXPECT_EQ(mode_of(top + "/run"), 0755u);
        EXPECT_EQ(mode_of(top + "/run/warren"), 0755u);
        EXPECT_EQ(mode_of(queue), 0700u);
        auto names = names_in(queue);
        ASSERT_EQ(names.size(), 1u);
        EXPECT_EQ(mode_of(queue + "/" + names[0]), 0600u);
    }
}

TEST(DeleteQueue, AQueueDirThatIsASymlinkIsNotWrittenThrough) {
    TempDir tmp;
    const std::string real = tmp / "real";
    ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
    ASSERT_EQ(::symlink(real.c_str(), (tmp / "queue").c_str()), 0);
    auto s = enqueue_delete(tmp / "queue", del("a"));
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("symbolic link"), std::string::npos) << s.error().message;
    EXPECT_TRUE(names_in(real).empty());
}

// Entry names: exactly 20 digits of nanoseconds in 0..INT64_MAX, then a pid of 1..10 digits.
// Anything else (a value that wraps, a short or padded-out number) is malformed, not garbage.
TEST(DeleteQueue, TimestampsOutsideTheNameRangeAreMalformed) {
    TempDir tmp;
    const std::vector<std::string> bad = {
        "del-99999999999999999999-1.json",   // wraps a uint64
        "del-18446744073709551616-1.json",   // UINT64_MAX + 1
        "del-09223372036854775808-1.json",   // INT64_MAX + 1: a negative time once signed
        "del-1-1.json",                      // not zero-padded: would sort out of order
        "del-000000000000000000001-1.json",  // 21 digits
        "del-+0000000000000000001-1.json",
        "del--0000000000000000001-1.json",
        "del-00000000000000000001-.json",
        "del-00000000000000000001-12345678901.json",  // pid beyond 10 digits
        "del-00000000000000000001-1-2.json",
    };
    for (auto& n : bad) write_file(tmp / n, encode(del("x")));
    write_file(tmp / "del-09223372036854775807-1.json", encode(del("max")));
    write_file(tmp / "del-00000000000000000000-4294967295.json", encode(del("zero")));

    auto list = list_deletes(tmp.path());
    ASSERT_TRUE(list) << list.error().describe();
    ASSERT_EQ(list->size(), bad.size() + 2);
    std::map<std::string, const QueuedDelete*> by_name;
    for (auto& q : *list) by_name[q.path.substr(tmp.path().size() + 1)] = &q;
    for (auto& n : bad) {
        ASSERT_TRUE(by_name.count(n)) << n;
        const QueuedDelete& q = *by_name[n];
        EXPECT_FALSE(q.request) << n << " parsed as " << q.enqueued_unix_ns;
        const std::string why = q.request ? std::string{} : q.request.error().message;
        EXPECT_NE(why.find("malformed name"), std::string::npos) << n << ": " << why;
    }
    const QueuedDelete& max = *by_name.at("del-09223372036854775807-1.json");
    ASSERT_TRUE(max.request) << max.request.error().message;
    EXPECT_EQ(max.request->container_id, "max");
    EXPECT_EQ(max.enqueued_unix_ns, std::numeric_limits<int64_t>::max());
    const QueuedDelete& zero = *by_name.at("del-00000000000000000000-4294967295.json");
    ASSERT_TRUE(zero.request) << zero.request.error().message;
    EXPECT_EQ(zero.request->container_id, "zero");
    EXPECT_EQ(zero.enqueued_unix_ns, 0);
}

// The writer side: a time before 1970 is refused with a clear error, and a collision at the
// largest time does not wrap around to a name that sorts first.
TEST(DeleteQueue, EnqueueRefusesTimesOutsideTheNameRange) {
    TempDir tmp;
    auto before_1970 = enqueue_delete_at(tmp.path(), del("a"), -1);
    ASSERT_FALSE(before_1970);
    EXPECT_NE(before_1970.error().message.find("before 1970"), std::string::npos)
        << before_1970.error().message;
    EXPECT_TRUE(names_in(tmp.path()).empty());

    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    ASSERT_TRUE(enqueue_delete_at(tmp.path(), del("a"), kMax - 1));
    ASSERT_TRUE(enqueue_delete_at(tmp.path(), del("b"), kMax - 1));  // bumped to kMax
    auto full = enqueue_delete_at(tmp.path(), del("c"), kMax - 1);
    ASSERT_FALSE(full);
    EXPECT_NE(full.error().message.find("free entry name"), std::string::npos)
        << full.error().message;

    auto list = list_deletes(tmp.path());
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    ASSERT_TRUE((*list)[0].request && (*list)[1].request);
    EXPECT_EQ((*list)[0].request->container_id, "a");
    EXPECT_EQ((*list)[0].enqueued_unix_ns, kMax - 1);
    EXPECT_EQ((*list)[1].request->container_id, "b");
    EXPECT_EQ((*list)[1].enqueued_unix_ns, kMax);
    for (auto& n : names_in(tmp.path())) EXPECT_EQ(n.substr(0, 4), "del-") << "left behind: " << n;
}

TEST(DeleteQueue, ListTakesTheOldestEntriesUpToTheLimit) {
    TempDir tmp;
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(enqueue_delete_at(tmp.path(), del(std::to_string(i)), 100 + i));
    auto list = list_deletes(tmp.path(), {::geteuid(), 3});
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 3u);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE((*list)[i].request);
        EXPECT_EQ((*list)[i].request->container_id, std::to_string(i));
    }
}

// bad-* files are kept for the retention counted from when they were moved aside, then removed;
// directories and entries are never removed by it.
TEST(DeleteQueue, BadFilesAreRemovedAfterTheirRetention) {
    TempDir tmp;
    const std::string old_entry = tmp / "del-00000000000000000001-1.json";
    write_file(old_entry, "{ broken");
    timespec long_ago[2] = {{::time(nullptr) - 30 * 86400, 0}, {::time(nullptr) - 30 * 86400, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, old_entry.c_str(), long_ago, 0), 0);
    auto fresh = move_aside(old_entry);  // written a month ago, moved aside now
    ASSERT_TRUE(fresh) << fresh.error().describe();

    const std::string expired = tmp / "bad-del-00000000000000000002-1.json";
    write_file(expired, "{ broken");
    ASSERT_EQ(::utimensat(AT_FDCWD, expired.c_str(), long_ago, 0), 0);
    ASSERT_EQ(::mkdir((tmp / "bad-dir").c_str(), 0700), 0);
    ASSERT_EQ(::utimensat(AT_FDCWD, (tmp / "bad-dir").c_str(), long_ago, 0), 0);
    ASSERT_TRUE(enqueue_delete(tmp.path(), del("a")));

    auto removed = remove_old_bad_files(tmp.path(), std::chrono::hours(24 * 7));
    ASSERT_TRUE(removed) << removed.error().describe();
    EXPECT_EQ(*removed, 1u);
    auto names = names_in(tmp.path());
    ASSERT_EQ(names.size(), 3u);
    EXPECT_EQ(names[0], "bad-del-00000000000000000001-1.json");
    EXPECT_EQ(names[1], "bad-dir");
    EXPECT_EQ(names[2].substr(0, 4), "del-");
}

}  // namespace
}  // namespace warren::proto
