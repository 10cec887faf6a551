#include "liveness/ebpf_diagnosis.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace warren::liveness {

std::string_view to_string(EbpfOff reason) {
    switch (reason) {
        case EbpfOff::none:
            return "on";
        case EbpfOff::disabled:
            return "disabled (liveness.ebpf: off)";
        case EbpfOff::not_root:
            return "not root";
        case EbpfOff::eperm:
            return "not permitted";
        case EbpfOff::no_bpffs:
            return "no bpffs";
        case EbpfOff::no_btf:
            return "no BTF";
        case EbpfOff::load_failed:
            return "load failed";
        case EbpfOff::no_links:
            return "no link events";
    }
    return "unknown";
}

EbpfHost probe_ebpf_host(const std::filesystem::path& bpffs_dir) {
    EbpfHost host;
    host.root = ::geteuid() == 0;
    std::error_code ec;
    host.kernel_btf = std::filesystem::exists("/sys/kernel/btf/vmlinux", ec);
    auto on = std::filesystem::is_directory(bpffs_dir, ec) || !bpffs_dir.has_parent_path()
                  ? bpffs_dir
                  : bpffs_dir.parent_path();
    struct statfs sfs {};
    host.bpffs = ::statfs(on.c_str(), &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
    return host;
}

EbpfDiagnosis diagnose_load_failure(const Error& e, const EbpfHost& host) {
    EbpfDiagnosis d;
    std::string advice = e.details;
    if (e.sys_errno == EPERM || e.sys_errno == EACCES) {
        d.reason = host.root ? EbpfOff::eperm : EbpfOff::not_root;
        if (host.root && advice.empty())
            advice =
                "root but refused: check CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_SYS_ADMIN, "
                "kernel lockdown and seccomp";
        if (!host.root && advice.empty())
            advice =
                "run warrend as root, or with CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON and "
                "CAP_SYS_ADMIN";
    } else if (!host.bpffs) {
        d.reason = EbpfOff::no_bpffs;
        if (advice.empty()) advice = "mount it: mount -t bpf bpf /sys/fs/bpf";
    } else if (!host.kernel_btf) {
        d.reason = EbpfOff::no_btf;
        advice = "the kernel has no BTF (/sys/kernel/btf/vmlinux missing; CONFIG_DEBUG_INFO_BTF)" +
                 (advice.empty() ? std::string() : "; " + advice);
    }
    d.text = std::string(to_string(d.reason)) + ": " + e.describe();
    if (!advice.empty()) d.text += " (" + advice + ")";
    return d;
}

}  // namespace warren::liveness
