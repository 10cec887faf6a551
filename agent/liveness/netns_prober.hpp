#pragma once
// Signal 1 of DESIGN §7: does the netns path recorded at ADD still name the namespace recorded
// at ADD (same nsfs inode)?
//
// NetnsProber is the seam (fake: tests/support/fake_netns_prober.hpp); SystemNetnsProber asks
// the kernel. A path is opened O_PATH: a /proc/<pid>/ns/net magic link is followed (it is how
// some runtimes name a pod's namespace), but nothing is read, so a FIFO, device or automount
// planted at the path is never blocked on or triggered; what is found there must be on nsfs to
// count as a namespace at all.
//
// Thread-safety: the real prober keeps no state; any thread.
// Errors: values. ENOENT/ENOTDIR/ESRCH are the answer `gone`, not errors; anything else (EACCES,
// ELOOP, EIO...) is an Error, which a caller must read as "unknown", never as "gone".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "warren/error.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {

enum class NetnsState {
    present,        // the recorded namespace is at the path (same inode)
    gone,           // nothing at the path
    replaced,       // another namespace is at the path: the recorded one left it
    not_namespace,  // a file that is no namespace, e.g. the mount point a netns unmount left
};
std::string_view to_string(NetnsState state);

struct NetnsProbe {
    NetnsState state = NetnsState::gone;
    uint64_t inode = 0;  // the nsfs inode at the path now; 0 when gone or not a namespace
};

class NetnsProber {
  public:
    virtual ~NetnsProber() = default;
    // `path` must be absolute. With `recorded_inode` 0 (unknown at ADD), any namespace at the
    // path counts as present.
    virtual Result<NetnsProbe> probe(const std::string& path, uint64_t recorded_inode) const = 0;
};

class SystemNetnsProber final : public NetnsProber {
  public:
    Result<NetnsProbe> probe(const std::string& path, uint64_t recorded_inode) const override;
};

// The inode of the network namespace at `path` (what ADD records), the same number stat(2)
// gives. Fails with Code::invalid_config when the path is missing, not a namespace, or a
// namespace of another type.
Result<uint64_t> netns_inode(const std::string& path);

// What is at a namespace path, opened O_PATH (see above). nullopt: nothing there.
struct NsPath {
    Fd fd;  // O_PATH
    uint64_t inode = 0;
    bool nsfs = false;  // on nsfs, i.e. a namespace (of some type)
};
Result<std::optional<NsPath>> open_ns_path(const std::string& path);
// A readable descriptor (for setns or NETNSA_FD) of a namespace opened by open_ns_path, after
// checking it is a network namespace.
Result<Fd> open_net_namespace(const NsPath& ns, const std::string& path);

}  // namespace warren::liveness
