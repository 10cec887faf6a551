#pragma once
// Small POSIX helpers shared by the agent (state directory, socket directory) and the plugin
// (delete queue): one copy each (DESIGN §11).
#include <sys/types.h>

#include <string>
#include <string_view>

#include "warren/error.hpp"

namespace warren {

// mkdir -p. Every directory it creates is made 0700 and then given its mode through a
// descriptor opened O_NOFOLLOW (fchmod), so it is never more open than asked, even for an
// instant, whatever the umask: `mode` for `path` itself, `parent_mode` for missing parents.
// Directories that exist keep their mode. Each new directory's parent is fsynced so the new
// entry survives a crash. Fails if `path` (or a component) exists and is not a directory.
// `what` names `path` in errors: "cannot create state directory /x: Not a directory".
Status make_dirs(const std::string& path, mode_t mode, std::string_view what, mode_t parent_mode);
inline Status make_dirs(const std::string& path, mode_t mode, std::string_view what) {
    return make_dirs(path, mode, what, mode);
}

// fsync of a directory, so renames and new entries in it are durable.
Status sync_dir(const std::string& dir);
Status sync_dir(int dir_fd, const std::string& dir);

// Writes all of `data` to `fd`, retrying short writes and EINTR; `what` names the file in errors.
Status write_all(int fd, std::string_view data, const std::string& what);

}  // namespace warren
