// FileStorage, DirLock and the Journal over real files in a temporary directory.
#include "journal/file_storage.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "journal/dir_lock.hpp"
#include "journal/journal.hpp"
#include "support/privileged.hpp"
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
    // Owned by the uid the child runs as, so it is refused for its mode alone, not its owner.
    if (::geteuid() == 0) {
        ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
    }
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

// --- Files and directories the agent does not own are not trusted (issue 6, defect 3). ---

// A file outside the state dir that a planted link points at; it must come out unchanged.
struct Victim {
    explicit Victim(const TempDir& tmp) : path(tmp / "victim") { spill(path, kContent, false); }
    static constexpr const char* kContent = "precious data\n";
    std::string path;
};

TEST(FileStorage, SymlinkedJournalIsRefusedNotFollowed) {
    TempDir tmp;
    Victim victim(tmp);
    const std::string dir = tmp / "state";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::symlink(victim.path.c_str(), (dir + "/journal.wal").c_str()), 0);
    auto s = FileStorage::open(dir);
    ASSERT_FALSE(s) << "a symlinked journal.wal was opened";
    EXPECT_EQ(s.error().message, "refusing journal " + dir +
                                     "/journal.wal: it is a symbolic link, and warrend opens "
                                     "nothing in its state directory through a link; remove it");
    EXPECT_EQ(slurp(victim.path), Victim::kContent);
}

TEST(DirLock, SymlinkedLockIsRefusedNotFollowed) {
    TempDir tmp;
    Victim victim(tmp);
    const std::string dir = tmp / "state";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::symlink(victim.path.c_str(), (dir + "/LOCK").c_str()), 0);
    auto l = DirLock::acquire(dir);
    ASSERT_FALSE(l) << "a symlinked LOCK was opened";
    EXPECT_EQ(l.error().message, "refusing lock file " + dir +
                                     "/LOCK: it is a symbolic link, and warrend opens nothing in "
                                     "its state directory through a link; remove it");
    EXPECT_EQ(slurp(victim.path), Victim::kContent);
}

TEST(FileStorage, SymlinkedSnapshotIsRefusedNotRead) {
    TempDir tmp;
    Victim victim(tmp);
    const std::string dir = tmp / "state";
    auto s = FileStorage::open(dir);
    ASSERT_TRUE(s) << s.error().describe();
    ASSERT_EQ(::symlink(victim.path.c_str(), (dir + "/snapshot.bin").c_str()), 0);
    auto snap = (*s)->read_snapshot();
    ASSERT_FALSE(snap) << "a symlinked snapshot.bin was read";
    EXPECT_EQ(snap.error().message,
              "refusing snapshot " + dir +
                  "/snapshot.bin: it is a symbolic link, and warrend opens nothing in its state "
                  "directory through a link; remove it");
}

// A leftover snapshot.bin.tmp (here a planted link) is removed, never written through.
TEST(FileStorage, LeftoverSnapshotTmpLinkIsReplacedNotFollowed) {
    TempDir tmp;
    Victim victim(tmp);
    const std::string dir = tmp / "state";
    auto s = FileStorage::open(dir);
    ASSERT_TRUE(s) << s.error().describe();
    ASSERT_EQ(::symlink(victim.path.c_str(), (dir + "/snapshot.bin.tmp").c_str()), 0);
    auto w = (*s)->write_snapshot("new snapshot");
    ASSERT_TRUE(w) << w.error().describe();
    EXPECT_EQ(slurp(victim.path), Victim::kContent);
    EXPECT_EQ(slurp(dir + "/snapshot.bin"), "new snapshot");
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir + "/snapshot.bin.tmp")));
    struct stat st {};
    ASSERT_EQ(::lstat((dir + "/snapshot.bin").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

// A FIFO planted as the journal must neither hang the open nor be used.
TEST(FileStorage, FifoAsJournalIsRefusedWithoutHanging) {
    TempDir tmp;
    const std::string dir = tmp / "state";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::mkfifo((dir + "/journal.wal").c_str(), 0600), 0);
    auto s = FileStorage::open(dir);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, "journal " + dir + "/journal.wal is not a regular file");
}

std::string refusal(const std::string& dir, const std::string& owner, const std::string& mode) {
    return "refusing state directory " + dir + ": it is owned by " + owner + " with mode " + mode +
           ", but warrend trusts only a directory owned by its own user, root (uid 0), that "
           "group and others cannot write; fix it with `chown root: " +
           dir + " && chmod 0700 " + dir + "`, or choose another state directory";
}

TEST(StateDir, WritableByOthersOrGroupIsRefusedNamingOwnerAndMode) {
    WARREN_REQUIRE_ROOT();  // the expected message names root as warrend's user
    for (unsigned mode : {0777u, 0770u, 0702u}) {
        TempDir tmp;
        const std::string dir = tmp / "state";
        ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
        ASSERT_EQ(::chmod(dir.c_str(), mode), 0);
        char octal[8];
        std::snprintf(octal, sizeof octal, "%04o", mode);
        auto s = FileStorage::open(dir);
        ASSERT_FALSE(s) << octal << ": accepted";
        EXPECT_EQ(s.error().message, refusal(dir, "root (uid 0)", octal));
        auto l = DirLock::acquire(dir);
        ASSERT_FALSE(l) << octal << ": accepted";
        EXPECT_EQ(l.error().message, refusal(dir, "root (uid 0)", octal));
        EXPECT_FALSE(fs::exists(dir + "/LOCK"));
        EXPECT_FALSE(fs::exists(dir + "/journal.wal"));
    }
}

TEST(StateDir, OwnedByAnotherUserIsRefusedNamingOwnerAndMode) {
    WARREN_REQUIRE_ROOT();  // to give the directory away
    TempDir tmp;
    const std::string dir = tmp / "state";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
    auto s = FileStorage::open(dir);
    ASSERT_FALSE(s) << "a directory of uid 65534 was accepted";
    EXPECT_EQ(s.error().message, refusal(dir, "nobody (uid 65534)", "0700"));
    auto l = DirLock::acquire(dir);
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error().message, refusal(dir, "nobody (uid 65534)", "0700"));
}

// A read-only-for-others directory of our own is fine (0755 is a common admin choice).
TEST(StateDir, OwnDirectoryReadableByOthersIsAccepted) {
    TempDir tmp;
    const std::string dir = tmp / "state";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
    auto l = DirLock::acquire(dir);
    ASSERT_TRUE(l) << l.error().describe();
    auto s = FileStorage::open(dir);
    EXPECT_TRUE(s) << s.error().describe();
}

// umask only ever takes bits away; the state tree must come out 0700 even under umask 0777
// (and never wider under umask 000).
TEST(StateDir, CreatedPrivateWhateverTheUmask) {
    for (mode_t mask : {mode_t{0}, mode_t{0777}}) {
        TempDir tmp;
        const std::string dir = tmp / "var/lib/warren";
        const mode_t old = ::umask(mask);
        auto l = DirLock::acquire(dir);
        auto s = FileStorage::open(dir);
        ::umask(old);
        ASSERT_TRUE(l) << "umask " << mask << ": " << l.error().describe();
        ASSERT_TRUE(s) << "umask " << mask << ": " << s.error().describe();
        EXPECT_EQ(mode_of(tmp / "var"), 0700u) << "umask " << mask;
        EXPECT_EQ(mode_of(tmp / "var/lib"), 0700u) << "umask " << mask;
        EXPECT_EQ(mode_of(dir), 0700u) << "umask " << mask;
    }
}

}  // namespace
}  // namespace warren::journal
