// FileStorage, DirLock and the Journal over real files in a temporary directory.
#include "journal/file_storage.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "journal/dir_lock.hpp"
#include "journal/journal.hpp"
#include "support/temp_dir.hpp"

namespace warren::journal {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The journal's bytes without the zero-filled room after them (no test record ends in a zero).
std::string journal_of(const std::string& path) {
    std::string bytes = slurp(path);
    bytes.erase(bytes.find_last_not_of('\0') + 1);
    return bytes;
}

void spill(const std::string& path, const std::string& bytes, bool append) {
    std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    out << bytes;
}

std::string batch(uint64_t first_seq, const std::vector<std::string>& payloads) {
    std::string out;
    for (const auto& p : payloads) append_record(out, first_seq++, p);
    return out;
}

Result<std::pair<std::unique_ptr<Journal>, Recovered>> open_dir(const std::string& dir) {
    auto s = FileStorage::open(dir);
    if (!s) return std::unexpected(s.error());
    return Journal::open(std::move(*s));
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

TEST(FileStorage, CreatesTheDirectoryTreePrivately) {
    TempDir tmp;
    const std::string dir = tmp / "var/lib/warren";
    auto s = FileStorage::open(dir + "/");
    ASSERT_TRUE(s) << s.error().describe();
    EXPECT_EQ(mode_of(tmp / "var"), 0700u);
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(dir + "/journal.wal"), 0600u);
    EXPECT_EQ((*s)->journal_name(), dir + "/journal.wal");
    EXPECT_EQ((*s)->journal_size(), 0u);
    auto snap = (*s)->read_snapshot();
    ASSERT_TRUE(snap);
    EXPECT_FALSE(snap->has_value());
}

TEST(FileStorage, PathUnderARegularFileGivesAClearError) {
    TempDir tmp;
    spill(tmp / "file", "x", false);
    const std::string dir = tmp / "file/dir";
    auto s = FileStorage::open(dir);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().sys_errno, ENOTDIR);
    EXPECT_EQ(s.error().describe(), "cannot create state directory " + dir + ": Not a directory");
    auto l = DirLock::acquire(dir);
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error().sys_errno, ENOTDIR);
}

// Root ignores directory permissions, so under root the attempt runs in a child that drops to
// an unprivileged uid first.
TEST(FileStorage, UnwritableDirectoryGivesAClearError) {
    TempDir tmp;
    const std::string dir = tmp / "ro";
    ASSERT_EQ(::mkdir(dir.c_str(), 0555), 0);
    ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
        auto s = FileStorage::open(dir);
        const std::string msg = s ? "opened" : s.error().describe();
        (void)!::write(out[1], msg.data(), msg.size());
        ::_exit(0);
    }
    ::close(out[1]);
    std::string msg;
    char buf[256];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) msg.append(buf, n);
    ::close(out[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "could not drop privileges";
    EXPECT_EQ(msg, "state directory " + dir + " is not writable: Permission denied");
}

TEST(FileStorage, JournalAppendReopenOnDisk) {
    TempDir tmp;
    {
        auto o = open_dir(tmp.path());
        ASSERT_TRUE(o) << o.error().describe();
        ASSERT_TRUE(o->first->append(batch(1, {"a", "b"})));
        ASSERT_TRUE(o->first->append(batch(3, {"c"})));
    }
    EXPECT_EQ(journal_of(tmp / "journal.wal"), batch(1, {"a", "b", "c"}));
    EXPECT_EQ(fs::file_size(tmp / "journal.wal"), kPreallocateBytes);  // room made ahead, zero-filled
    auto o = open_dir(tmp.path());
    ASSERT_TRUE(o) << o.error().describe();
    EXPECT_EQ(o->second.truncated_bytes, 0u);  // the zero room is no torn tail
    ASSERT_EQ(o->second.records.size(), 3u);
    EXPECT_EQ(o->second.records[2].payload, "c");
    EXPECT_EQ(o->second.next_seq, 4u);
}

TEST(FileStorage, TornTailIsCutOnDisk) {
    TempDir tmp;
    {
        auto o = open_dir(tmp.path());
        ASSERT_TRUE(o);
        ASSERT_TRUE(o->first->append(batch(1, {"a"})));
    }
    const std::string good = journal_of(tmp / "journal.wal");
    {  // a crash in the middle of the next append, into the zero-filled room
        std::fstream f(tmp / "journal.wal", std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(static_cast<std::streamoff>(good.size()));
        f << batch(2, {"half written"}).substr(0, 20);
    }
    auto o = open_dir(tmp.path());
    ASSERT_TRUE(o) << o.error().describe();
    EXPECT_EQ(o->second.truncated_bytes, 20u);
    EXPECT_EQ(slurp(tmp / "journal.wal"), good);
    ASSERT_TRUE(o->first->append(batch(2, {"b"})));
    EXPECT_EQ(journal_of(tmp / "journal.wal"), good + batch(2, {"b"}));
}

TEST(FileStorage, CorruptMiddleNamesThePathAndOffset) {
    TempDir tmp;
    std::string bytes = batch(1, {"aaaa", "bbbb", "cccc"});
    bytes[20 + kRecordHeaderSize] = 'X';  // payload of record 2 (at offset 20)
    spill(tmp / "journal.wal", bytes, false);
    auto o = open_dir(tmp.path());
    ASSERT_FALSE(o);
    EXPECT_NE(
        o.error().message.find("journal " + tmp / "journal.wal" + " is corrupt at byte offset 20"),
        std::string::npos)
        << o.error().message;
    EXPECT_EQ(slurp(tmp / "journal.wal"), bytes);
}

TEST(FileStorage, SnapshotReplacesAtomicallyAndCompacts) {
    TempDir tmp;
    {
        auto o = open_dir(tmp.path());
        ASSERT_TRUE(o);
        ASSERT_TRUE(o->first->append(batch(1, {"a", "b"})));
        ASSERT_TRUE(o->first->write_snapshot(2, {"s1"}));
        ASSERT_TRUE(o->first->append(batch(3, {"c"})));
        ASSERT_TRUE(o->first->write_snapshot(3, {"s1", "s2"}));  // replaces the first one
        ASSERT_TRUE(o->first->append(batch(4, {"d"})));
    }
    EXPECT_FALSE(fs::exists(tmp / "snapshot.bin.tmp"));
    EXPECT_EQ(mode_of(tmp / "snapshot.bin"), 0600u);
    EXPECT_EQ(journal_of(tmp / "journal.wal"), batch(4, {"d"}));
    auto o = open_dir(tmp.path());
    ASSERT_TRUE(o) << o.error().describe();
    EXPECT_EQ(o->second.snapshot, (std::vector<std::string>{"s1", "s2"}));
    EXPECT_EQ(o->second.snapshot_seq, 3u);
    ASSERT_EQ(o->second.records.size(), 1u);
    EXPECT_EQ(o->second.records[0].payload, "d");
}

// RLIMIT_FSIZE makes the kernel accept part of a write and refuse the rest (EFBIG), the same
// shape as ENOSPC in the middle of a batch.
TEST(FileStorage, PartialWriteIsUndone) {
    TempDir tmp;
    auto s = FileStorage::open(tmp.path());
    ASSERT_TRUE(s);
    auto& storage = **s;
    ASSERT_TRUE(storage.append_journal(std::string(100, 'a')));

    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 150;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    auto st = storage.append_journal(std::string(200, 'b'));
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);

    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys_errno, EFBIG);
    EXPECT_EQ(storage.journal_size(), 100u);
    EXPECT_EQ(journal_of(tmp / "journal.wal"), std::string(100, 'a'));
    ASSERT_TRUE(storage.append_journal("c"));
    EXPECT_EQ(journal_of(tmp / "journal.wal"), std::string(100, 'a') + "c");
}

TEST(DirLock, SecondAcquireFailsWithThePidAndReleaseOnDestruction) {
    TempDir tmp;
    const std::string dir = tmp / "state";
    {
        auto first = DirLock::acquire(dir);
        ASSERT_TRUE(first) << first.error().describe();
        EXPECT_EQ(slurp(dir + "/LOCK"), std::to_string(::getpid()) + "\n");

        auto second = DirLock::acquire(dir);
        ASSERT_FALSE(second);
        EXPECT_EQ(second.error().code, Code::unavailable);
        EXPECT_EQ(second.error().message, "state directory " + dir +
                                              " is in use by another warrend (pid " +
                                              std::to_string(::getpid()) + ")");

        DirLock moved = std::move(*first);  // the lock travels with the object
        EXPECT_FALSE(DirLock::acquire(dir));
        EXPECT_EQ(moved.dir(), dir);
    }
    auto again = DirLock::acquire(dir);
    EXPECT_TRUE(again) << again.error().describe();
}

TEST(DirLock, HeldByAnotherProcess) {
    TempDir tmp;
    int ready[2], release[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(release), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto l = DirLock::acquire(tmp.path());
        char c = l ? 'y' : 'n';
        (void)!::write(ready[1], &c, 1);
        (void)!::read(release[0], &c, 1);
        ::_exit(0);
    }
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ASSERT_EQ(c, 'y');
    auto l = DirLock::acquire(tmp.path());
    ASSERT_FALSE(l);
    EXPECT_NE(l.error().message.find("(pid " + std::to_string(child) + ")"), std::string::npos)
        << l.error().message;
    ASSERT_EQ(::write(release[1], "x", 1), 1);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(DirLock::acquire(tmp.path()));  // the kernel dropped the dead owner's lock
    for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

}  // namespace
}  // namespace warren::journal
