#pragma once
// `warrend install-cni`: what a DaemonSet's init container runs. Puts the `warren` plugin into
// the node's CNI bin dir and, only when the node has no network config of its own, a conflist
// that uses it. Both writes are atomic (temp file in the same dir, fsync, rename, dir fsync), so
// a runtime reading the dirs concurrently sees the old file or the new one, never a torn one.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warren/error.hpp"

namespace warren::install {

inline constexpr const char* kPluginName = "warren";
inline constexpr const char* kConflistName = "10-warren.conflist";
// Where the .deb installs the plugin (runtimes that read /usr/lib/cni find it there).
inline constexpr const char* kPackagedPlugin = "/usr/lib/cni/warren";

struct InstallOptions {
    std::string cni_bin_dir = "/opt/cni/bin";
    std::string cni_conf_dir = "/etc/cni/net.d";
    std::string plugin;  // the binary to install; empty: default_plugin(dir of this executable)
    std::string network = "warren";
    std::string main_plugin = "bridge";  // bridge or ptp
    std::string socket;                  // empty: the default CNI socket
};

struct InstallArgs {
    InstallOptions options;
    bool help = false;
};

// `args` are the words after "install-cni". Errors (Code::invalid_config) are usage errors.
Result<InstallArgs> parse_install_args(const std::vector<std::string>& args);
std::string install_usage();

// The plugin to install when --plugin is not given: `warren` in `self_dir` (beside warrend, as
// in the image and the build tree) when it exists, else `packaged` (where the .deb puts it).
std::string default_plugin(const std::string& self_dir,
                           const std::string& packaged = kPackagedPlugin);

// Copies `source` to `bin_dir`/warren (mode 0755) atomically unless an identical 0755 file is
// there already. Creates `bin_dir` (0755) when missing. Returns the line that says what it did.
// On failure no temp file is left in `bin_dir`.
Result<std::string> install_plugin(const std::string& source, const std::string& bin_dir);

// The conflist for `o`: the main plugin with warren as its IPAM, then portmap.
nlohmann::ordered_json make_conflist(const InstallOptions& o);

// The first (by name, as libcni orders them) *.conf/*.conflist/*.json in `conf_dir` other than
// ours; empty when there is none or the dir does not exist.
Result<std::string> find_foreign_config(const std::string& conf_dir);

// Writes `conf_dir`/10-warren.conflist atomically unless the dir holds a config of the node's
// own (then it writes nothing) or ours is already identical. Returns the line that says which.
Result<std::string> install_conflist(const InstallOptions& o);

// The whole command: one line per action on `out`, errors (with the path, errno and the fix) on
// `err`. Returns the exit code: 0 done, 1 failed, 2 usage error.
int run_install_cni(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace warren::install
