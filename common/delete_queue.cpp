#include "warren/delete_queue.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "warren/fd.hpp"

namespace warren::proto {

namespace {

constexpr std::string_view kEntryPrefix = "del-";
constexpr std::string_view kEntrySuffix = ".json";
constexpr std::string_view kTempPrefix = ".tmp-";
constexpr size_t kMaxEntryBytes = 1024 * 1024;

uint64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
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

Status fsync_dir(const std::string& dir) {
    Fd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!fd) return fail_errno("cannot open directory " + dir + " to sync it");
    if (::fsync(fd.get()) != 0) return fail_errno("fsync of directory " + dir);
    return {};
}

// mkdir -p: missing parents 0755 (others may need to traverse them, e.g. to reach a socket),
// the leaf `mode`. Each directory created is made durable by syncing its parent.
Status make_dirs(const std::string& dir, mode_t leaf_mode) {
    if (dir.empty()) return fail(Code::invalid_config, "delete queue directory is empty");
    std::vector<std::string> parts;
    for (size_t pos = 0; pos < dir.size();) {
        size_t end = dir.find('/', pos);
        if (end == std::string::npos) end = dir.size();
        if (end > pos) parts.push_back(dir.substr(pos, end - pos));
        pos = end + 1;
    }
    std::string cur = dir[0] == '/' ? "/" : "";
    for (size_t i = 0; i < parts.size(); ++i) {
        if (!cur.empty() && cur.back() != '/') cur += '/';
        cur += parts[i];
        bool leaf = i + 1 == parts.size();
        if (::mkdir(cur.c_str(), leaf ? leaf_mode : 0755) == 0) {
            if (auto s = fsync_dir(parent_of(cur)); !s) return s;
        } else if (errno != EEXIST) {
            return fail_errno("cannot create directory " + cur);
        }
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return fail_errno("cannot stat " + dir);
    if (!S_ISDIR(st.st_mode)) return fail(Code::io, dir + " exists and is not a directory");
    return {};
}

Status write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("cannot write " + what);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

std::string entry_name(uint64_t ns, pid_t pid) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "del-%020llu-%d.json", static_cast<unsigned long long>(ns),
                  static_cast<int>(pid));
    return buf;
}

// Commits tmp as the entry for `ns`, never replacing an existing entry: on a name collision the
// timestamp is bumped by 1 ns, which keeps arrival order.
Status commit(int dirfd, const std::string& dir, const std::string& tmp, uint64_t ns) {
    pid_t pid = ::getpid();
    for (int attempt = 0; attempt < 1000; ++attempt, ++ns) {
        std::string name = entry_name(ns, pid);
        if (::renameat2(dirfd, tmp.c_str(), dirfd, name.c_str(), RENAME_NOREPLACE) == 0) return {};
        if (errno == EEXIST) continue;
        if (errno != EINVAL && errno != ENOSYS)
            return fail_errno("cannot rename " + tmp + " to " + name + " in " + dir);
        // The filesystem has no RENAME_NOREPLACE: link(2) also refuses to replace.
        if (::linkat(dirfd, tmp.c_str(), dirfd, name.c_str(), 0) == 0) {
            ::unlinkat(dirfd, tmp.c_str(), 0);
            return {};
        }
        if (errno == EEXIST) continue;
        // No hard links either: the pid in the name keeps writers apart.
        if (::faccessat(dirfd, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) continue;
        if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) == 0) return {};
        return fail_errno("cannot rename " + tmp + " to " + name + " in " + dir);
    }
    return fail(Code::io, "cannot find a free entry name in " + dir);
}

// Parses "del-<digits>-<digits>.json"; false when the middle is malformed.
bool parse_entry_name(std::string_view name, uint64_t& ns) {
    auto mid =
        name.substr(kEntryPrefix.size(), name.size() - kEntryPrefix.size() - kEntrySuffix.size());
    auto dash = mid.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == mid.size()) return false;
    auto digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(mid.substr(0, dash)) || !digits(mid.substr(dash + 1)) || dash > 20) return false;
    ns = 0;
    for (char c : mid.substr(0, dash)) ns = ns * 10 + static_cast<uint64_t>(c - '0');
    return true;
}

Result<std::string> read_entry(int dirfd, const std::string& name) {
    Fd fd{::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (!fd) return fail_errno("cannot open queued DEL " + name);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("cannot stat queued DEL " + name);
    if (!S_ISREG(st.st_mode))
        return fail(Code::decode, "queued DEL " + name + " is not a regular file");
    if (static_cast<size_t>(st.st_size) > kMaxEntryBytes)
        return fail(Code::decode, "queued DEL " + name + " is too large (" +
                                      std::to_string(st.st_size) + " bytes)");
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

// Directory names, or an empty list when the directory does not exist.
Result<std::vector<std::string>> read_names(const std::string& dir, Fd& dirfd) {
    dirfd.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd) {
        if (errno == ENOENT) return std::vector<std::string>{};
        return fail_errno("cannot open delete queue " + dir);
    }
    int dup = ::fcntl(dirfd.get(), F_DUPFD_CLOEXEC, 0);
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

}  // namespace

Status enqueue_delete(const std::string& dir, const Request& req) {
    if (req.op != Op::del)
        return fail(Code::internal,
                    "only DEL requests are queued, not '" + std::string(op_name(req.op)) + "'");
    if (auto s = make_dirs(dir, 0700); !s) return s;
    Fd dirfd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!dirfd) return fail_errno("cannot open delete queue " + dir);

    uint64_t ns = realtime_ns();
    std::string tmp =
        std::string(kTempPrefix) + std::to_string(::getpid()) + "-" + std::to_string(ns);
    Fd fd{::openat(dirfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (!fd) return fail_errno("cannot create " + dir + "/" + tmp);
    auto cleanup = [&] { ::unlinkat(dirfd.get(), tmp.c_str(), 0); };
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
    if (auto s = commit(dirfd.get(), dir, tmp, ns); !s) {
        cleanup();
        return s;
    }
    if (::fsync(dirfd.get()) != 0) return fail_errno("fsync of directory " + dir);
    return {};
}

Result<std::vector<QueuedDelete>> list_deletes(const std::string& dir) {
    Fd dirfd;
    auto names = read_names(dir, dirfd);
    if (!names) return std::unexpected(names.error());
    std::vector<std::string> entries;
    for (auto& n : *names)
        if (starts_with(n, kEntryPrefix) && ends_with(n, kEntrySuffix) &&
            n.size() > kEntryPrefix.size() + kEntrySuffix.size())
            entries.push_back(std::move(n));
    std::sort(entries.begin(), entries.end());

    std::vector<QueuedDelete> out;
    out.reserve(entries.size());
    std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    for (auto& name : entries) {
        QueuedDelete q{base + name, 0, fail(Code::decode, "unread")};
        struct stat st {};
        if (::fstatat(dirfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(st.st_mode))
            continue;  // not an entry; a directory the agent may use to park bad files
        if (!parse_entry_name(name, q.enqueued_unix_ns)) {
            q.request = fail(Code::decode, "queued DEL " + name + " has a malformed name");
        } else if (auto data = read_entry(dirfd.get(), name); !data) {
            q.request = std::unexpected(data.error());
        } else if (auto req = decode_request(*data); !req) {
            q.request = fail(Code::decode, "queued DEL " + name +
                                               " is not a valid request: " + req.error().message);
        } else if (req->op != Op::del) {
            q.request =
                fail(Code::decode, "queued entry " + name + " is a '" +
                                       std::string(op_name(req->op)) + "' request, not a DEL");
        } else {
            q.request = std::move(*req);
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
    return fsync_dir(parent_of(path));
}

Result<size_t> remove_stale_temps(const std::string& dir, std::chrono::seconds min_age) {
    Fd dirfd;
    auto names = read_names(dir, dirfd);
    if (!names) return std::unexpected(names.error());
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    size_t removed = 0;
    for (auto& n : *names) {
        if (!starts_with(n, kTempPrefix)) continue;
        struct stat st {};
        if (::fstatat(dirfd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (now.tv_sec - st.st_mtim.tv_sec < min_age.count()) continue;
        if (::unlinkat(dirfd.get(), n.c_str(), 0) == 0) {
            ++removed;
        } else if (errno != ENOENT) {
            return fail_errno("cannot remove " + dir + "/" + n);
        }
    }
    if (removed > 0 && ::fsync(dirfd.get()) != 0) return fail_errno("fsync of directory " + dir);
    return removed;
}

}  // namespace warren::proto
