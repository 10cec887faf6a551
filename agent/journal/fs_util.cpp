#include "journal/fs_util.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>

namespace warren::journal::detail {
namespace {

std::string user_name(uid_t uid) {
    std::array<char, 4096> buf{};
    passwd pw{}, *res = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) != 0 || !res) return {};
    return res->pw_name;
}

// "root (uid 0)", or "uid 4242" when the uid has no name.
std::string describe_user(uid_t uid) {
    const std::string name = user_name(uid);
    const std::string id = "uid " + std::to_string(uid);
    return name.empty() ? id : name + " (" + id + ")";
}

std::string octal(mode_t mode) {
    char out[8];
    std::snprintf(out, sizeof out, "%04o", static_cast<unsigned>(mode & 07777));
    return out;
}

}  // namespace

Result<Fd> open_state_dir(const std::string& dir) {
    if (auto st = make_dirs(dir, 0700, "state directory"); !st) return std::unexpected(st.error());
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno("cannot open state directory " + dir);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("cannot stat state directory " + dir);
    const uid_t me = ::geteuid();
    if (st.st_uid == me && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0) return fd;
    const std::string me_name = user_name(me);
    const std::string chown =
        me_name.empty() ? "chown " + std::to_string(me) + " " : "chown " + me_name + ": ";
    return fail(Code::invalid_config,
                "refusing state directory " + dir + ": it is owned by " + describe_user(st.st_uid) +
                    " with mode " + octal(st.st_mode) +
                    ", but warrend trusts only a directory owned by its own user, " +
                    describe_user(me) + ", that group and others cannot write; fix it with `" +
                    chown + dir + " && chmod 0700 " + dir + "`, or choose another state directory");
}

Result<Fd> open_in_dir(int dir_fd, const char* name, int flags, std::string_view what,
                       const std::string& path) {
    const std::string file = std::string(what) + " " + path;
    Fd fd(::openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (!fd) {
        if (errno == ELOOP)
            return fail(Code::io, "refusing " + file +
                                      ": it is a symbolic link, and warrend opens nothing in its "
                                      "state directory through a link; remove it");
        return fail_errno("cannot open " + file);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("cannot stat " + file);
    if (!S_ISREG(st.st_mode)) return fail(Code::io, file + " is not a regular file");
    return fd;
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
