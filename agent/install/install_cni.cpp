#include "install/install_cni.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "warren/default_paths.hpp"
#include "warren/fd.hpp"
#include "warren/fs.hpp"

namespace warren::install {
namespace {

constexpr mode_t kMode = 0755;

// What to do about an errno, for the error's last line.
std::string fix_for(int err, const std::string& dir) {
    switch (err) {
        case EACCES:
        case EPERM:
            return "run as root, or make " + dir +
                   " writable (a DaemonSet mounts it as a hostPath without readOnly)";
        case EROFS:
            return dir + " is on a read-only filesystem: mount it read-write";
        case ENOSPC:
        case EDQUOT:
            return "free space on the filesystem holding " + dir;
        case EFBIG:
            return "raise the file size limit (ulimit -f)";
        case ENOENT:
            return "a parent of " + dir +
                   " is missing and cannot be made: give a directory that exists";
        case ENOTDIR:
            return "a component of " + dir + " is not a directory: give a directory";
        default:
            return "check " + dir + " and rerun";
    }
}

std::unexpected<Error> fail_at(const std::string& what, const std::string& dir, int err = errno) {
    Error e = Error::from_errno(what, err);
    e.details = fix_for(err, dir);
    return std::unexpected(std::move(e));
}

Result<std::string> read_file(const std::string& path, const std::string& what) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_at("cannot open " + what + " " + path, path);
    std::string data;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_at("cannot read " + what + " " + path, path);
        }
        if (n == 0) return data;
        data.append(buf, static_cast<size_t>(n));
    }
}

// True when `path` is a regular file with mode `mode` and exactly `data` in it.
bool same_file(const std::string& path, const std::string& data, mode_t mode) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != mode)
        return false;
    if (static_cast<size_t>(st.st_size) != data.size()) return false;
    auto existing = read_file(path, "file");
    return existing && *existing == data;
}

// `dir`/`name` gets `data` with `mode`, atomically: a temp name in `dir` (O_EXCL), write, fsync,
// rename over `name`, fsync `dir`. The temp file is removed on every failure before the rename.
Status write_atomically(const std::string& dir, const std::string& name, const std::string& data,
                        mode_t mode) {
    const std::string target = dir + "/" + name;
    const std::string temp = dir + "/." + name + ".tmp." + std::to_string(::getpid());
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd && errno == EEXIST) {  // left by an earlier run with our pid that was killed
        ::unlink(temp.c_str());
        fd.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    }
    if (!fd) return fail_at("cannot create " + temp, dir);
    auto fail_removing = [&](std::string what) {
        const int err = errno;
        ::unlink(temp.c_str());
        return fail_at(std::move(what), dir, err);
    };
    if (::fchmod(fd.get(), mode) != 0)
        return fail_removing("cannot set the mode of " + temp);  // whatever the umask
    if (auto w = write_all(fd.get(), data, temp); !w) {
        errno = w.error().sys_errno;
        return fail_removing("cannot write " + temp);
    }
    if (::fsync(fd.get()) != 0) return fail_removing("cannot fsync " + temp);
    if (::close(fd.release()) != 0) return fail_removing("cannot close " + temp);
    if (::rename(temp.c_str(), target.c_str()) != 0)
        return fail_removing("cannot rename " + temp + " to " + target);
    if (auto s = sync_dir(dir); !s) return fail_at(s.error().message, dir, s.error().sys_errno);
    return {};
}

Status ensure_dir(const std::string& dir, const char* what) {
    if (auto s = make_dirs(dir, kMode, what); !s)
        return fail_at(s.error().message, dir, s.error().sys_errno);
    return {};
}

bool is_config_name(const std::string& n) {
    if (n.empty() || n[0] == '.') return false;
    for (const char* ext : {".conf", ".conflist", ".json"}) {
        const size_t len = std::strlen(ext);
        if (n.size() > len && n.compare(n.size() - len, len, ext) == 0) return true;
    }
    return false;
}

std::string self_dir() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    std::string path(buf, static_cast<size_t>(n));
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

void print_error(std::FILE* err, const Error& e) {
    std::string line = "warrend install-cni: " + e.describe();
    if (e.sys_errno != 0) line += " (errno " + std::to_string(e.sys_errno) + ")";
    std::fprintf(err, "%s\n", line.c_str());
    if (!e.details.empty()) std::fprintf(err, "  %s\n", e.details.c_str());
}

}  // namespace

std::string default_plugin(const std::string& self_dir, const std::string& packaged) {
    std::string beside = self_dir + "/" + kPluginName;
    return ::access(beside.c_str(), F_OK) == 0 ? beside : packaged;
}

Result<std::string> install_plugin(const std::string& source, const std::string& bin_dir) {
    auto data = read_file(source, "plugin");
    if (!data) {
        data.error().details = "pass the warren plugin binary with --plugin PATH";
        return std::unexpected(data.error());
    }
    const std::string target = bin_dir + "/" + kPluginName;
    if (same_file(target, *data, kMode))
        return target + " is identical to " + source + "; left alone";
    if (auto s = ensure_dir(bin_dir, "CNI bin directory"); !s) return std::unexpected(s.error());
    if (auto s = write_atomically(bin_dir, kPluginName, *data, kMode); !s)
        return std::unexpected(s.error());
    return "installed " + target + " from " + source + " (" + std::to_string(data->size()) +
           " bytes, mode 0755)";
}

nlohmann::ordered_json make_conflist(const InstallOptions& o) {
    using nlohmann::ordered_json;
    const std::string socket = o.socket.empty() ? std::string(kDefaultSocket) : o.socket;
    ordered_json main{{"type", o.main_plugin}};
    if (o.main_plugin == "bridge") {
        main["bridge"] = "cni0";
        main["isGateway"] = true;
        main["ipMasq"] = true;
    } else {  // ptp
        main["ipMasq"] = true;
    }
    main["ipam"] = ordered_json{{"type", kPluginName}, {"socket", socket}};
    ordered_json portmap{{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}};
    return ordered_json{{"cniVersion", "1.0.0"}, {"name", o.network}, {"plugins", {main, portmap}}};
}

Result<std::string> find_foreign_config(const std::string& conf_dir) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(conf_dir.c_str()), ::closedir);
    if (!dir) {
        if (errno == ENOENT) return std::string{};
        return fail_at("cannot list CNI config directory " + conf_dir, conf_dir);
    }
    std::vector<std::string> found;
    errno = 0;
    while (const dirent* e = ::readdir(dir.get())) {
        std::string n = e->d_name;
        if (n != kConflistName && is_config_name(n)) found.push_back(std::move(n));
    }
    if (errno != 0) return fail_at("cannot list CNI config directory " + conf_dir, conf_dir);
    if (found.empty()) return std::string{};
    return conf_dir + "/" + *std::min_element(found.begin(), found.end());
}

Result<std::string> install_conflist(const InstallOptions& o) {
    auto foreign = find_foreign_config(o.cni_conf_dir);
    if (!foreign) return std::unexpected(foreign.error());
    if (!foreign->empty())
        return "kept the node's own network config " + *foreign + "; wrote no conflist";
    const std::string target = o.cni_conf_dir + "/" + kConflistName;
    const std::string text = make_conflist(o).dump(2) + "\n";
    if (same_file(target, text, 0644)) return target + " is up to date; left alone";
    if (auto s = ensure_dir(o.cni_conf_dir, "CNI config directory"); !s)
        return std::unexpected(s.error());
    if (auto s = write_atomically(o.cni_conf_dir, kConflistName, text, 0644); !s)
        return std::unexpected(s.error());
    return "wrote " + target + " (network " + o.network + ": " + o.main_plugin +
           " with warren IPAM, then portmap)";
}

int run_install_cni(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
    auto parsed = parse_install_args(args);
    if (!parsed) {
        print_error(err, parsed.error());
        return 2;
    }
    if (parsed->help) {
        std::fputs(install_usage().c_str(), out);
        return 0;
    }
    InstallOptions o = parsed->options;
    const bool defaulted = o.plugin.empty();
    if (defaulted) o.plugin = default_plugin(self_dir());
    auto plugin = install_plugin(o.plugin, o.cni_bin_dir);
    if (!plugin) {
        if (defaulted)
            plugin.error().details = "found no " + std::string(kPluginName) + " beside warrend (" +
                                     self_dir() + ") nor at " + kPackagedPlugin +
                                     "; pass the warren plugin binary with --plugin PATH";
        print_error(err, plugin.error());
        return 1;
    }
    std::fprintf(out, "%s\n", plugin->c_str());
    auto conflist = install_conflist(o);
    if (!conflist) {
        print_error(err, conflist.error());
        return 1;
    }
    std::fprintf(out, "%s\n", conflist->c_str());
    std::fflush(out);
    return 0;
}

}  // namespace warren::install
