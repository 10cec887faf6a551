#include "warren/delete_queue.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "warren/fd.hpp"
#include "warren/fs.hpp"

namespace warren::proto {

namespace {

constexpr std::string_view kEntryPrefix = "del-";
constexpr std::string_view kEntrySuffix = ".json";
constexpr std::string_view kTempPrefix = ".tmp-";
constexpr std::string_view kBadPrefix = "bad-";
constexpr size_t kTimestampDigits = 20;  // INT64_MAX has 19: every valid time fits, zero-padded
constexpr size_t kMaxPidDigits = 10;
constexpr size_t kMaxEntryBytes = 1024 * 1024;
constexpr int64_t kNsPerSec = 1'000'000'000;

// Seconds since 1970 whose every nanosecond still fits an int64 (up to 2262-04-11).
constexpr int64_t kMaxClockSec = std::numeric_limits<int64_t>::max() / kNsPerSec - 1;

Result<int64_t> realtime_ns() {
    timespec ts{};
    if (::clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return fail_errno("clock_gettime(CLOCK_REALTIME)");
    if (ts.tv_sec < 0 || ts.tv_sec > kMaxClockSec)
        return fail(Code::internal, "cannot name a queued DEL: the system clock reads " +
                                        std::to_string(ts.tv_sec) +
                                        " s since 1970, outside 1970..2262; fix the clock");
    return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

std::string parent_of(const std::string& path) {
    auto end = path.find_last_not_of('/');
    if (end == std::string::npos) return "/";
    auto slash = path.rfind('/', end);
    if (slash == std::string::npos) return ".";
    auto p = path.substr(0, slash);
    auto keep = p.find_last_not_of('/');
    return keep == std::string::npos ? "/" : p.substr(0, keep + 1);
}

std::string base_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string mode_str(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

const char* kind_of(mode_t mode) {
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISREG(mode)) return "a regular file";
    return "of an unknown type";
}

// Opens an existing directory without following a symlink at its last component (and without
// blocking, should it be a FIFO). An invalid Fd when `dir` does not exist.
Result<Fd> open_dir_nofollow(const std::string& dir, const std::string& what) {
    Fd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    if (fd) return fd;
    int err = errno;
    if (err == ENOENT) return Fd{};
    struct stat st {};
    if (::lstat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        return fail(Code::invalid_config,
                    what + " " + dir + " is " + kind_of(st.st_mode) +
                        ", not a directory; remove it or configure another path");
    return fail_errno("cannot open " + what + " " + dir, err);
}

// mkdir -p (missing parents 0755: others may need to traverse them; the leaf `leaf_mode`).
// Returns the leaf, opened without following a symlink.
Result<Fd> make_queue_dir(const std::string& dir, mode_t leaf_mode) {
    if (auto s = make_dirs(dir, leaf_mode, "delete queue directory", 0755); !s) return std::unexpected(s.error());
    auto fd = open_dir_nofollow(dir, "delete queue");
    if (!fd) {
        auto e = fd.error();
        if (e.code == Code::invalid_config)
            e.code = Code::io;  // the plugin's answer: a host problem
        return std::unexpected(std::move(e));
    }
    if (!*fd) return fail_errno("cannot open delete queue " + dir, ENOENT);
    return fd;
}

std::string entry_name(int64_t ns, pid_t pid) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "del-%020lld-%d.json", static_cast<long long>(ns),
                  static_cast<int>(pid));
    return buf;
}

// Commits tmp as the entry for `ns`, never replacing an existing entry: on a name collision the
// timestamp is bumped by 1 ns, which keeps arrival order.
Status commit(int dirfd, const std::string& dir, const std::string& tmp, int64_t ns) {
    pid_t pid = ::getpid();
    for (int attempt = 0; attempt < 1000; ++attempt, ++ns) {
        std::string name = entry_name(ns, pid);
        if (::renameat2(dirfd, tmp.c_str(), dirfd, name.c_str(), RENAME_NOREPLACE) == 0) return {};
        if (errno == EEXIST) {
            if (ns == std::numeric_limits<int64_t>::max()) break;
            continue;
        }
        if (errno != EINVAL && errno != ENOSYS)
            return fail_errno("cannot rename " + tmp + " to " + name + " in " + dir);
        // The filesystem has no RENAME_NOREPLACE: link(2) also refuses to replace.
        if (::linkat(dirfd, tmp.c_str(), dirfd, name.c_str(), 0) == 0) {
            ::unlinkat(dirfd, tmp.c_str(), 0);
            return {};
        }
        if (errno != EEXIST) {
            // No hard links either: the pid in the name keeps writers apart.
            if (::faccessat(dirfd, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
                if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) == 0) return {};
                return fail_errno("cannot rename " + tmp + " to " + name + " in " + dir);
            }
        }
        if (ns == std::numeric_limits<int64_t>::max()) break;
    }
    return fail(Code::io, "cannot find a free entry name in " + dir);
}

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Parses "del-<20 digits>-<1..10 digits>.json" into the timestamp; nullopt when malformed or
// beyond INT64_MAX.
std::optional<int64_t> parse_entry_name(std::string_view name) {
    auto mid =
        name.substr(kEntryPrefix.size(), name.size() - kEntryPrefix.size() - kEntrySuffix.size());
    auto dash = mid.find('-');
    if (dash != kTimestampDigits) return std::nullopt;
    auto stamp = mid.substr(0, dash), pid = mid.substr(dash + 1);
    if (!all_digits(stamp) || pid.empty() || pid.size() > kMaxPidDigits || !all_digits(pid))
        return std::nullopt;
    int64_t ns = 0;
    auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), ns);
    if (ec != std::errc{} || end != stamp.data() + stamp.size()) return std::nullopt;
    return ns;
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Reads one entry that lstat found as `st`. Only regular files owned by root or `trusted` are
// opened; the open neither follows a symlink nor waits for a FIFO writer.
Result<std::string> read_entry(int dirfd, const std::string& name, const struct stat& st,
                               uid_t trusted, bool& foreign) {
    if (!S_ISREG(st.st_mode))
        return fail(Code::decode, "queued DEL " + name + " is " + kind_of(st.st_mode) +
                                      ", not a regular file; it is not opened");
    auto owned_ok = [&](uid_t uid) { return uid == 0 || uid == trusted; };
    auto refuse_owner = [&](uid_t uid) {
        foreign = true;
        return fail(Code::decode, "queued DEL " + name + " is owned by uid " + std::to_string(uid) +
                                      ", not root or warrend's uid " + std::to_string(trusted) +
                                      "; refused");
    };
    if (!owned_ok(st.st_uid)) return refuse_owner(st.st_uid);
    Fd fd{::openat(dirfd, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)};
    if (!fd) return fail_errno("cannot open queued DEL " + name);
    struct stat now {};
    if (::fstat(fd.get(), &now) != 0) return fail_errno("cannot stat queued DEL " + name);
    if (!S_ISREG(now.st_mode) || !same_file(st, now))
        return fail(Code::decode, "queued DEL " + name + " was replaced while being read");
    if (!owned_ok(now.st_uid)) return refuse_owner(now.st_uid);
    if (static_cast<size_t>(now.st_size) > kMaxEntryBytes)
        return fail(Code::decode, "queued DEL " + name + " is too large (" +
                                      std::to_string(now.st_size) + " bytes, at most " +
                                      std::to_string(kMaxEntryBytes) + ")");
    std::string data;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("cannot read queued DEL " + name);
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (data.size() > kMaxEntryBytes)
            return fail(Code::decode, "queued DEL " + name + " is too large");
    }
    return data;
}

// The DEL in entry `name` (lstat'ed as `st`), or why it is not one.
Result<Request> load_entry(int dirfd, const std::string& name, const struct stat& st, uid_t trusted,
                           bool& foreign) {
    auto data = read_entry(dirfd, name, st, trusted, foreign);
    if (!data) return std::unexpected(data.error());
    auto req = decode_request(*data);
    if (!req)
        return fail(Code::decode,
                    "queued DEL " + name + " is not a valid request: " + req.error().message);
    if (req->op != Op::del)
        return fail(Code::decode, "queued entry " + name + " is a '" +
                                      std::string(op_name(req->op)) + "' request, not a DEL");
    return req;
}

// Names in the directory open as `dirfd`.
Result<std::vector<std::string>> read_names(const std::string& dir, int dirfd) {
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return fail_errno("cannot read delete queue " + dir);
    DIR* d = ::fdopendir(dup);
    if (!d) {
        int err = errno;
        ::close(dup);
        return fail_errno("cannot read delete queue " + dir, err);
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        names.emplace_back(e->d_name);
        errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return fail_errno("cannot read delete queue " + dir, err);
    return names;
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

Status check_dir_stat(const std::string& dir, const struct stat& st, uid_t owner) {
    if (st.st_uid == owner && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0) return {};
    return fail(Code::invalid_config,
                "delete queue directory " + dir + " is owned by uid " + std::to_string(st.st_uid) +
                    " with mode " + mode_str(st.st_mode) + "; it must be owned by warrend's uid " +
                    std::to_string(owner) +
                    " and not writable by group or others, or anyone could queue a DEL: fix with "
                    "`chown " +
                    std::to_string(owner) + " " + dir + " && chmod 0700 " + dir + "`");
}

// The queue directory, checked; an invalid Fd when it does not exist.
Result<Fd> open_checked(const std::string& dir, uid_t owner) {
    auto fd = open_dir_nofollow(dir, "delete queue directory");
    if (!fd || !*fd) return fd;
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0)
        return fail_errno("cannot stat delete queue directory " + dir);
    if (auto s = check_dir_stat(dir, st, owner); !s) return std::unexpected(s.error());
    return fd;
}

// Removes the entries named `prefix`* (never directories; only regular files if `only_regular`)
// whose mtime is at least `min_age` old, and syncs the directory if any went.
Result<size_t> remove_old(const std::string& dir, std::string_view prefix,
                          std::chrono::seconds min_age, bool only_regular) {
    auto dirfd = open_dir_nofollow(dir, "delete queue directory");
    if (!dirfd) return std::unexpected(dirfd.error());
    if (!*dirfd) return size_t{0};
    auto names = read_names(dir, dirfd->get());
    if (!names) return std::unexpected(names.error());
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    size_t removed = 0;
    for (auto& n : *names) {
        if (!starts_with(n, prefix)) continue;
        struct stat st {};
        if (::fstatat(dirfd->get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            S_ISDIR(st.st_mode) || (only_regular && !S_ISREG(st.st_mode)))
            continue;
        if (now.tv_sec - st.st_mtim.tv_sec < min_age.count()) continue;
        if (::unlinkat(dirfd->get(), n.c_str(), 0) == 0) {
            ++removed;
        } else if (errno != ENOENT) {
            return fail_errno("cannot remove " + dir + "/" + n);
        }
    }
    if (removed > 0 && ::fsync(dirfd->get()) != 0) return fail_errno("fsync of directory " + dir);
    return removed;
}

}  // namespace

Status enqueue_delete(const std::string& dir, const Request& req) {
    auto ns = realtime_ns();
    if (!ns) return std::unexpected(ns.error());
    return enqueue_delete_at(dir, req, *ns);
}

Status enqueue_delete_at(const std::string& dir, const Request& req, int64_t unix_ns) {
    if (req.op != Op::del)
        return fail(Code::internal,
                    "only DEL requests are queued, not '" + std::string(op_name(req.op)) + "'");
    if (unix_ns < 0)
        return fail(Code::internal, "cannot name a queued DEL for " + std::to_string(unix_ns) +
                                        " ns since 1970, before 1970; fix the system clock");
    auto dirfd = make_queue_dir(dir, 0700);
    if (!dirfd) return std::unexpected(dirfd.error());

    std::string tmp =
        std::string(kTempPrefix) + std::to_string(::getpid()) + "-" + std::to_string(unix_ns);
    Fd fd{::openat(dirfd->get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   0600)};
    if (!fd) return fail_errno("cannot create " + dir + "/" + tmp);
    auto cleanup = [&] { ::unlinkat(dirfd->get(), tmp.c_str(), 0); };
    if (::fchmod(fd.get(), 0600) != 0) {
        int err = errno;
        cleanup();
        return fail_errno("cannot set mode 0600 on " + dir + "/" + tmp, err);
    }
    if (auto s = write_all(fd.get(), encode(req), dir + "/" + tmp); !s) {
        cleanup();
        return s;
    }
    if (::fsync(fd.get()) != 0) {
        int err = errno;
        cleanup();
        return fail_errno("fsync of " + dir + "/" + tmp, err);
    }
    fd.reset();
    if (auto s = commit(dirfd->get(), dir, tmp, unix_ns); !s) {
        cleanup();
        return s;
    }
    if (::fsync(dirfd->get()) != 0) return fail_errno("fsync of directory " + dir);
    return {};
}

Status check_queue_dir(const std::string& dir, uid_t owner) {
    auto fd = open_checked(dir, owner);
    if (!fd) return std::unexpected(fd.error());
    return {};
}

Result<std::vector<QueuedDelete>> list_deletes(const std::string& dir) {
    return list_deletes(dir, ListOptions{::geteuid()});
}

Result<std::vector<QueuedDelete>> list_deletes(const std::string& dir, ListOptions opts) {
    auto dirfd = open_checked(dir, opts.trusted_uid);
    if (!dirfd) return std::unexpected(dirfd.error());
    if (!*dirfd) return std::vector<QueuedDelete>{};
    auto names = read_names(dir, dirfd->get());
    if (!names) return std::unexpected(names.error());
    std::vector<std::string> entries;
    for (auto& n : *names)
        if (starts_with(n, kEntryPrefix) && ends_with(n, kEntrySuffix) &&
            n.size() > kEntryPrefix.size() + kEntrySuffix.size())
            entries.push_back(std::move(n));
    std::sort(entries.begin(), entries.end());

    std::vector<QueuedDelete> out;
    std::string base = dir.back() == '/' ? dir : dir + "/";
    for (auto& name : entries) {
        if (out.size() >= opts.max_entries) break;
        QueuedDelete q{base + name, 0, false, fail(Code::decode, "unread")};
        struct stat st {};
        if (::fstatat(dirfd->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;  // removed since the listing
            q.request = fail_errno("cannot stat queued DEL " + name);
        } else if (S_ISDIR(st.st_mode)) {
            continue;  // not an entry; a directory the agent may use to park bad files
        } else if (auto ns = parse_entry_name(name); !ns) {
            q.request = fail(Code::decode, "queued DEL " + name + " has a malformed name");
        } else {
            q.enqueued_unix_ns = *ns;
            q.request = load_entry(dirfd->get(), name, st, opts.trusted_uid, q.foreign_owner);
        }
        out.push_back(std::move(q));
    }
    return out;
}

Status remove_delete(const std::string& path) {
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) return {};
        return fail_errno("cannot remove queued DEL " + path);
    }
    return sync_dir(parent_of(path));
}

Result<std::string> move_aside(const std::string& path) {
    const std::string dir = parent_of(path);
    const std::string aside =
        (dir == "/" ? dir : dir + "/") + std::string(kBadPrefix) + base_of(path);
    if (::rename(path.c_str(), aside.c_str()) != 0)
        return fail_errno("cannot move queued DEL " + path + " aside to " + aside);
    const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    if (::utimensat(AT_FDCWD, aside.c_str(), now, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno("cannot stamp " + aside + " with the time it was moved aside");
    if (auto s = sync_dir(dir); !s) return std::unexpected(s.error());
    return aside;
}

Result<size_t> remove_old_bad_files(const std::string& dir, std::chrono::seconds retention) {
    return remove_old(dir, kBadPrefix, retention, false);
}

Result<size_t> remove_stale_temps(const std::string& dir, std::chrono::seconds min_age) {
    return remove_old(dir, kTempPrefix, min_age, true);
}

}  // namespace warren::proto
