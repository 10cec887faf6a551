#include "journal/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "warren/fd.hpp"

namespace warren::journal::detail {

Status sync_dir(const std::string& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno("cannot open directory " + dir + " to sync it");
    if (::fsync(fd.get()) != 0) return fail_errno("cannot sync directory " + dir);
    return {};
}

Status make_dirs(const std::string& path, unsigned mode) {
    if (path.empty()) return fail(Code::invalid_config, "state directory path is empty");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return {};
        return fail_errno("state directory " + path + " exists but is not a directory", ENOTDIR);
    }
    if (errno != ENOENT) return fail_errno("cannot create state directory " + path);

    std::string parent = path;
    while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
    const auto slash = parent.rfind('/');
    parent = slash == std::string::npos ? "." : slash == 0 ? "/" : parent.substr(0, slash);
    if (auto st_parent = make_dirs(parent, mode); !st_parent) {
        // Report the directory that was asked for, with the reason found higher up.
        return fail_errno("cannot create state directory " + path, st_parent.error().sys_errno);
    }
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        return fail_errno("cannot create state directory " + path);
    return sync_dir(parent);
}

WriteOutcome pwrite_all(int fd, std::string_view bytes, uint64_t offset) {
    WriteOutcome out;
    while (out.written < bytes.size()) {
        const ssize_t n = ::pwrite(fd, bytes.data() + out.written, bytes.size() - out.written,
                                   static_cast<off_t>(offset + out.written));
        if (n < 0) {
            if (errno == EINTR) continue;
            out.err = errno;
            return out;
        }
        out.written += static_cast<uint64_t>(n);
    }
    return out;
}

}  // namespace warren::journal::detail
