#include "warren/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "warren/fd.hpp"

namespace warren {
namespace {

std::string parent_of(const std::string& path) {
    std::string parent = path;
    while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
    const auto slash = parent.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : parent.substr(0, slash);
}

std::string octal(mode_t mode) {
    char out[8];
    std::snprintf(out, sizeof out, "%04o", static_cast<unsigned>(mode & 07777));
    return out;
}

}  // namespace

Status sync_dir(int dir_fd, const std::string& dir) {
    if (::fsync(dir_fd) != 0) return fail_errno("cannot sync directory " + dir);
    return {};
}

Status sync_dir(const std::string& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno("cannot open directory " + dir + " to sync it");
    return sync_dir(fd.get(), dir);
}

Status make_dirs(const std::string& path, mode_t mode, std::string_view what, mode_t parent_mode) {
    const std::string name = std::string(what) + " " + path;
    if (path.empty()) return fail(Code::invalid_config, std::string(what) + " path is empty");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return {};
        return fail_errno(name + " exists but is not a directory", ENOTDIR);
    }
    if (errno != ENOENT) return fail_errno("cannot create " + name);

    const std::string parent = parent_of(path);
    if (auto st_parent = make_dirs(parent, parent_mode, what, parent_mode); !st_parent) {
        // Report the directory that was asked for, with the reason found higher up.
        return fail_errno("cannot create " + name, st_parent.error().sys_errno);
    }
    if (::mkdir(path.c_str(), 0700) != 0) {
        if (errno == EEXIST) return {};  // made by someone else meanwhile: theirs, left as it is
        return fail_errno("cannot create " + name);
    }
    // O_NOFOLLOW: should the new entry have been swapped for a link, nothing elsewhere gets
    // this mode.
    Fd fd{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (!fd) return fail_errno("cannot open " + name + " just created");
    if (::fchmod(fd.get(), mode) != 0)
        return fail_errno("cannot set mode " + octal(mode) + " on " + name);
    return sync_dir(parent);
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

}  // namespace warren
