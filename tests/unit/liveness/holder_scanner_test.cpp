#include "liveness/holder_scanner.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "support/temp_dir.hpp"

namespace warren::liveness {
namespace {

Error errno_error(int err) {
    return Error::from_errno("read", err);
}

// /proc as the test describes it: per pid a link text or an errno, threads, a mountinfo.
class FakeProc final : public ProcSource {
  public:
    std::vector<pid_t> pid_list;
    std::map<pid_t, Result<std::string>> links;
    std::map<pid_t, Result<std::vector<pid_t>>> tasks;
    std::map<std::pair<pid_t, pid_t>, Result<std::string>> task_links;
    Result<std::string> mountinfo_text = std::string{};

    Result<std::vector<pid_t>> pids() override { return pid_list; }
    Result<std::string> net_link(pid_t pid) override {
        auto it = links.find(pid);
        return it == links.end() ? std::unexpected(errno_error(ENOENT)) : it->second;
    }
    Result<std::vector<pid_t>> threads(pid_t pid) override {
        auto it = tasks.find(pid);
        return it == tasks.end() ? std::unexpected(errno_error(ENOENT)) : it->second;
    }
    Result<std::string> thread_net_link(pid_t pid, pid_t tid) override {
        auto it = task_links.find({pid, tid});
        return it == task_links.end() ? std::unexpected(errno_error(ENOENT)) : it->second;
    }
    Result<std::string> mountinfo() override { return mountinfo_text; }
    std::optional<pid_t> self;  // set: this is the agent's own /proc
    std::optional<pid_t> proc_self() override { return self; }
    std::map<pid_t, Result<uint64_t>> net_devs;  // missing: EACCES
    Result<uint64_t> net_dev_inode(pid_t pid) override {
        auto it = net_devs.find(pid);
        return it == net_devs.end() ? std::unexpected(errno_error(EACCES)) : it->second;
    }
};

TEST(HolderScanner, OnePassFindsEveryHeldNamespaceAndToleratesExits) {
    auto proc = std::make_unique<FakeProc>();
    proc->pid_list = {1, 10, 11, 12, 13};
    proc->links[1] = "net:[100]";
    proc->links[10] = "net:[200]";
    proc->links[11] = std::unexpected(errno_error(ESRCH));  // exiting right now
    // 12: no entry at all (ENOENT, and its task dir is gone too)
    proc->links[13] = "net:[200]";
    ProcHolderScanner scanner(std::move(proc));

    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value()) << scan.error().describe();
    EXPECT_EQ(scan->processes, 5u);
    EXPECT_EQ(scan->vanished, 2u);
    EXPECT_EQ(scan->unreadable, 0u);
    EXPECT_TRUE(scan->complete());
    EXPECT_TRUE(scan->is_held(100));
    EXPECT_TRUE(scan->is_held(200));
    EXPECT_FALSE(scan->is_held(300));
    ASSERT_NE(scan->holder(200), nullptr);
    EXPECT_EQ(scan->holder(200)->pid, 10) << "the first process seen is kept";
}

TEST(HolderScanner, PermissionDeniedMakesTheScanIncomplete) {
    auto proc = std::make_unique<FakeProc>();
    proc->pid_list = {1, 2};
    proc->links[1] = "net:[100]";
    proc->links[2] = std::unexpected(errno_error(EACCES));
    ProcHolderScanner scanner(std::move(proc));

    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->unreadable, 1u);
    EXPECT_FALSE(scan->complete()) << "pid 2 may hold any namespace";
    EXPECT_EQ(scan->unreadable_pids, std::vector<pid_t>{2});
    ASSERT_TRUE(scan->first_unreadable.has_value());
    EXPECT_EQ(scan->first_unreadable->sys_errno, EACCES);
    EXPECT_TRUE(scan->is_held(100));
}

// A process with capabilities we lack (ptrace denies its ns link) in a namespace a readable
// process is in: /proc/<pid>/net/dev tells which one, so the scan stays complete.
TEST(HolderScanner, DeniedProcessInAKnownNamespaceIsResolvedThroughProcNet) {
    auto proc = std::make_unique<FakeProc>();
    proc->pid_list = {1, 2, 3, 4};
    proc->links[1] = std::unexpected(errno_error(EACCES));
    proc->links[2] = "net:[100]";
    proc->links[3] = std::unexpected(errno_error(EACCES));
    proc->links[4] = std::unexpected(errno_error(EPERM));
    proc->net_devs[1] = 9001u;  // same as pid 2: namespace 100
    proc->net_devs[2] = 9001u;
    proc->net_devs[3] = std::unexpected(errno_error(ESRCH));  // exited meanwhile
    proc->net_devs[4] = 9002u;                                // a namespace nobody readable is in
    ProcHolderScanner scanner(std::move(proc));

    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->resolved, 1u);
    EXPECT_EQ(scan->vanished, 1u);
    EXPECT_EQ(scan->unreadable, 1u);
    EXPECT_EQ(scan->unreadable_pids, std::vector<pid_t>{4});
    ASSERT_TRUE(scan->first_unreadable.has_value());
    EXPECT_EQ(scan->first_unreadable->sys_errno, EPERM);
    EXPECT_FALSE(scan->complete()) << "pid 4 may hold the namespace we ask about";
    EXPECT_EQ(scan->holder(100)->pid, 2);
}

TEST(HolderScanner, AnUnexpectedLinkIsUnreadableNotHeld) {
    auto proc = std::make_unique<FakeProc>();
    proc->pid_list = {5};
    proc->links[5] = "pipe:[77]";
    ProcHolderScanner scanner(std::move(proc));
    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->unreadable, 1u);
    EXPECT_TRUE(scan->held.empty());
    ASSERT_TRUE(scan->first_unreadable.has_value());
    EXPECT_NE(scan->first_unreadable->message.find("pipe:[77]"), std::string::npos)
        << scan->first_unreadable->message;
}

TEST(HolderScanner, ProcessWhoseMainThreadExitedIsReadThroughItsOtherThreads) {
    auto proc = std::make_unique<FakeProc>();
    proc->pid_list = {40, 50};
    // 40: main thread exited (ENOENT), thread 41 still runs in namespace 300
    proc->tasks[40] = std::vector<pid_t>{40, 41};
    proc->task_links[{40, 41}] = "net:[300]";
    // 50: an ordinary zombie: only its dead main thread is left
    proc->tasks[50] = std::vector<pid_t>{50};
    ProcHolderScanner scanner(std::move(proc));

    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_TRUE(scan->is_held(300));
    EXPECT_EQ(scan->holder(300)->pid, 40);
    EXPECT_EQ(scan->vanished, 1u);
    EXPECT_TRUE(scan->complete());
}

TEST(HolderScanner, KeepsEachProcessesNamespaceForItsProcNetPath) {
    auto proc = std::make_unique<FakeProc>();
    proc->self = 10;
    proc->pid_list = {1, 10, 40, 60};
    proc->links[1] = "net:[100]";
    proc->links[10] = "net:[200]";
    // 40: main thread exited; /proc/40/ns/net reads ENOENT although thread 41 is in 300
    proc->tasks[40] = std::vector<pid_t>{40, 41};
    proc->task_links[{40, 41}] = "net:[300]";
    proc->links[60] = std::unexpected(errno_error(EACCES));
    proc->mountinfo_text =
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "30 22 0:4 net:[555] /run/netns/kept rw - nsfs nsfs rw\n";
    ProcHolderScanner scanner(std::move(proc));

    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_TRUE(scan->proc_paths);
    EXPECT_EQ(scan->net_at("/proc/1/ns/net"), 100u);
    EXPECT_EQ(scan->net_at("/proc/10/ns/net"), 200u);
    EXPECT_EQ(scan->net_at("/proc/self/ns/net"), 200u);
    EXPECT_TRUE(scan->is_held(300));
    EXPECT_EQ(scan->net_at("/proc/40/ns/net"), std::nullopt)
        << "its own link is gone: a stat answers that, not its thread";
    EXPECT_EQ(scan->net_at("/proc/60/ns/net"), std::nullopt) << "unreadable: a stat answers";
    EXPECT_EQ(scan->net_at("/proc/41/ns/net"), std::nullopt) << "not a listed process";
    EXPECT_EQ(scan->net_at("/run/netns/x"), std::nullopt);
    EXPECT_EQ(scan->net_at("/run/netns/kept"), 555u) << "a bind mount, from the mount table";
}

TEST(HolderScanner, AnotherProcTreeAnswersNoProcNetPath) {
    auto proc = std::make_unique<FakeProc>();  // no proc_self: not the agent's /proc
    proc->pid_list = {1};
    proc->links[1] = "net:[100]";
    proc->mountinfo_text =
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "30 22 0:4 net:[555] /run/netns/kept rw - nsfs nsfs rw\n";
    ProcHolderScanner scanner(std::move(proc));

    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_TRUE(scan->is_held(100));
    EXPECT_TRUE(scan->is_held(555));
    EXPECT_FALSE(scan->proc_paths);
    EXPECT_EQ(scan->net_at("/run/netns/kept"), std::nullopt);
    EXPECT_EQ(scan->net_at("/proc/1/ns/net"), std::nullopt);
}

TEST(HolderScanner, NsfsMountsHoldTheirNamespace) {
    auto proc = std::make_unique<FakeProc>();
    proc->pid_list = {1};
    proc->links[1] = "net:[100]";
    proc->mountinfo_text =
        "612 29 0:4 net:[555] /run/netns/kept rw shared:310 - nsfs nsfs rw\n"
        "613 29 0:4 net:[100] /run/netns/host rw - nsfs nsfs rw\n";
    ProcHolderScanner scanner(std::move(proc));

    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->mounts, 2u);
    ASSERT_TRUE(scan->is_held(555));
    EXPECT_EQ(scan->holder(555)->pid, 0) << "no process, only the mount";
    EXPECT_EQ(scan->holder(555)->mount_point, "/run/netns/kept");
    EXPECT_EQ(scan->holder(100)->pid, 1);
    EXPECT_EQ(scan->holder(100)->mount_point, "/run/netns/host");
}

TEST(HolderScanner, UnreadableMountinfoMakesTheScanIncomplete) {
    auto proc = std::make_unique<FakeProc>();
    proc->pid_list = {1};
    proc->links[1] = "net:[100]";
    proc->mountinfo_text = std::unexpected(errno_error(EACCES));
    ProcHolderScanner scanner(std::move(proc));
    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value());
    EXPECT_FALSE(scan->complete());
    EXPECT_TRUE(scan->unreadable_pids.empty()) << "no process was unreadable";
    EXPECT_TRUE(scan->is_held(100));
}

// The real ProcSource over a directory laid out like /proc (symlinks read like ns links).
TEST(SystemProcSource, ReadsAProcLayout) {
    testing::TempDir root;
    namespace fs = std::filesystem;
    fs::create_directories(root / "12/ns");
    fs::create_symlink("net:[4026532001]", root / "12/ns/net");
    fs::create_directories(root / "13");  // exited: no ns/ left
    fs::create_directories(root / "self");
    fs::create_directories(root / "sys");
    std::ofstream(root / "self/mountinfo")
        << "612 29 0:4 net:[4026532002] /run/netns/x rw - nsfs nsfs rw\n";

    ProcHolderScanner scanner(std::make_unique<SystemProcSource>(root.path()));
    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value()) << scan.error().describe();
    EXPECT_EQ(scan->processes, 2u) << "only numeric entries are processes";
    EXPECT_EQ(scan->vanished, 1u);
    EXPECT_TRUE(scan->complete());
    EXPECT_EQ(scan->holder(4026532001u)->pid, 12);
    EXPECT_EQ(scan->holder(4026532002u)->mount_point, "/run/netns/x");
}

TEST(SystemProcSource, MissingProcIsAnError) {
    ProcHolderScanner scanner(std::make_unique<SystemProcSource>("/nonexistent-proc-root"));
    auto scan = scanner.scan();
    ASSERT_FALSE(scan.has_value());
    EXPECT_EQ(scan.error().sys_errno, ENOENT);
    EXPECT_NE(scan.error().describe().find("/nonexistent-proc-root"), std::string::npos);
}

// Needs no privileges: our own namespace is held by us.
TEST(ProcHolderScanner, OurOwnNamespaceIsHeldByUs) {
    struct stat st {};
    ASSERT_EQ(::stat("/proc/self/ns/net", &st), 0);
    ProcHolderScanner scanner;
    auto scan = scanner.scan();
    ASSERT_TRUE(scan.has_value()) << scan.error().describe();
    EXPECT_TRUE(scan->is_held(st.st_ino));
    EXPECT_GT(scan->processes, 1u);
    EXPECT_EQ(scan->self_pid, ::getpid());
    EXPECT_EQ(scan->net_at("/proc/self/ns/net"), st.st_ino);
    EXPECT_EQ(scan->net_at("/proc/" + std::to_string(::getpid()) + "/ns/net"), st.st_ino);
    EXPECT_NE(scan->mount_table, nullptr) << "the agent's own mountinfo";
}

TEST(SystemProcSource, OnlyTheRealProcNamesSelf) {
    EXPECT_EQ(SystemProcSource().proc_self(), ::getpid());
    testing::TempDir root;
    std::filesystem::create_directories(root / "self");
    EXPECT_EQ(SystemProcSource(root.path()).proc_self(), std::nullopt);
}

}  // namespace
}  // namespace warren::liveness
