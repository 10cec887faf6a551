#include "warren/delete_queue.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "cni_test_util.hpp"

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
    EXPECT_EQ(
        st.st_mode & 0777, 0755u & ~[] {
            mode_t m = ::umask(0);
            ::umask(m);
            return m;
        }());

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
    EXPECT_LE(q.enqueued_unix_ns, now_ns);
    EXPECT_GT(q.enqueued_unix_ns, now_ns - 60ull * 1000000000ull);
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
    EXPECT_EQ((*list)[0].enqueued_unix_ns, 1u);
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

}  // namespace
}  // namespace warren::proto
