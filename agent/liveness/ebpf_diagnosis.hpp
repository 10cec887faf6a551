#pragma once
// Why the eBPF signal is off, in the words the log and `warrenctl status` use (DESIGN §7: "the
// log says which signal is missing and why").
#include <filesystem>
#include <string>
#include <string_view>

#include "warren/error.hpp"

namespace warren::liveness {

enum class EbpfOff {
    none,         // the signal is on
    disabled,     // liveness.ebpf: off
    not_root,     // EPERM/EACCES and not running as root
    eperm,        // EPERM/EACCES as root: a capability, lockdown or seccomp is in the way
    no_bpffs,     // no BPF filesystem where the maps are pinned
    no_btf,       // the load failed and the kernel has no BTF (/sys/kernel/btf/vmlinux)
    load_failed,  // anything else (the verifier, incompatible pins, ...): see the text
    no_links,     // the program loaded but link events cannot be followed (netlink failed)
};
std::string_view to_string(EbpfOff reason);

// What the host offers, read when a load failed.
struct EbpfHost {
    bool root = false;
    bool bpffs = false;       // bpffs_dir (or its parent, when missing) is on the BPF filesystem
    bool kernel_btf = false;  // /sys/kernel/btf/vmlinux exists
};
EbpfHost probe_ebpf_host(const std::filesystem::path& bpffs_dir);

struct EbpfDiagnosis {
    EbpfOff reason = EbpfOff::load_failed;
    std::string text;  // "<reason>: <error> (<advice>)"
};

// Reads a failed Program::load: EPERM/EACCES says not_root or eperm; otherwise a missing bpffs,
// then a missing BTF, is the likeliest cause; else load_failed.
EbpfDiagnosis diagnose_load_failure(const Error& e, const EbpfHost& host);

}  // namespace warren::liveness
