#include "liveness/program.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <utility>

#include "liveness.skel.h"
#include "liveness/bpf_log.hpp"

namespace warren::liveness {
namespace {

namespace fs = std::filesystem;

// bpffs_dir must be on a mounted BPF filesystem; it is made 0700 when missing.
Status prepare_dir(const fs::path& dir) {
    std::error_code ec;
    fs::path on = fs::is_directory(dir, ec) || !dir.has_parent_path() ? dir : dir.parent_path();
    struct statfs sfs {};
    if (::statfs(on.c_str(), &sfs) != 0)
        return fail_errno("checking " + on.string() +
                          " for the BPF filesystem (liveness.bpffsDir " + dir.string() + ")");
    if (sfs.f_type != BPF_FS_MAGIC)
        return fail(Code::unavailable, "bpffs not mounted at " + on.string(),
                    "pinning the liveness maps under " + dir.string() +
                        " needs the BPF filesystem: mount -t bpf bpf " + on.string());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return fail_errno(
            "creating " + dir.string() + " on the BPF filesystem" +
            (errno == EPERM || errno == EACCES ? " (needs root or CAP_SYS_ADMIN)" : ""));
    return {};
}

// libbpf refuses a pinned map whose shape differs with a bare EINVAL; say which and what to do.
Status check_pin(const fs::path& path, const bpf_map* want) {
    int fd = bpf_obj_get(path.c_str());
    if (fd < 0) {
        if (errno == ENOENT) return {};
        return fail_errno("opening the pinned map " + path.string());
    }
    bpf_map_info info{};
    uint32_t len = sizeof info;
    int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
    ::close(fd);
    if (rc < 0)
        return fail_errno("reading the pinned map " + path.string() + " (is it a map?)", -rc);
    if (info.type == bpf_map__type(want) && info.key_size == bpf_map__key_size(want) &&
        info.value_size == bpf_map__value_size(want) &&
        info.max_entries == bpf_map__max_entries(want) &&
        info.map_flags == bpf_map__map_flags(want))
        return {};
    return fail(Code::invalid_config,
                "the pinned map " + path.string() +
                    " was made by an incompatible warren build (key " +
                    std::to_string(info.key_size) + "/" + std::to_string(bpf_map__key_size(want)) +
                    " bytes, value " + std::to_string(info.value_size) + "/" +
                    std::to_string(bpf_map__value_size(want)) + ", entries " +
                    std::to_string(info.max_entries) + "/" +
                    std::to_string(bpf_map__max_entries(want)) + ")",
                "run `warrend --detach-all` to remove the old hooks and pins (their observations "
                "are lost), "
                "then start warrend again");
}

Error load_error(int err, const fs::path& dir) {
    Error e = Error::from_errno("loading the liveness classifier", err, Code::unavailable);
    if (err == EPERM)
        e.details = "needs root, or CAP_BPF + CAP_NET_ADMIN (+ CAP_PERFMON), and write access to " +
                    dir.string();
    else if (err == EINVAL || err == EACCES)
        e.details = "the kernel's verifier or map checks refused it; libbpf's log above says why";
    return e;
}

}  // namespace

Result<Program> Program::load(const Options& options) {
    route_libbpf_log();
    if (auto ok = prepare_dir(options.bpffs_dir); !ok) return std::unexpected(ok.error());
    std::string root = options.bpffs_dir.string();
    LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = root.c_str());
    liveness_bpf* skel = liveness_bpf__open_opts(&open_opts);
    if (!skel) return fail_errno("opening the embedded liveness BPF object", errno, Code::internal);
    Program program(skel, options.bpffs_dir);
    skel->rodata->track_strangers = options.track_strangers ? 1 : 0;
    // A pin missing (an agent upgraded over an older one's pins) is created, the rest reused.
    for (const bpf_map* map :
         {skel->maps.watch, skel->maps.strangers, skel->maps.link_sources, skel->maps.spoofs,
          skel->maps.link_sources_gen})
        if (auto ok = check_pin(options.bpffs_dir / bpf_map__name(map), map); !ok)
            return std::unexpected(ok.error());
    if (int rc = liveness_bpf__load(skel); rc != 0)
        return std::unexpected(load_error(-rc, options.bpffs_dir));
    return program;
}

Program::Program(Program&& o) noexcept
    : skel_(std::exchange(o.skel_, nullptr)), bpffs_dir_(std::move(o.bpffs_dir_)) {}

Program& Program::operator=(Program&& o) noexcept {
    if (this != &o) {
        if (skel_) liveness_bpf__destroy(skel_);
        skel_ = std::exchange(o.skel_, nullptr);
        bpffs_dir_ = std::move(o.bpffs_dir_);
    }
    return *this;
}

Program::~Program() {
    if (skel_) liveness_bpf__destroy(skel_);
}

int Program::prog_fd() const {
    return bpf_program__fd(skel_->progs.warren_liveness);
}

Result<BpfMaps> Program::maps() const {
    return BpfMaps::from_fds(bpf_map__fd(skel_->maps.watch), bpf_map__fd(skel_->maps.strangers));
}

Result<BpfGuardMaps> Program::guard_maps() const {
    return BpfGuardMaps::from_fds(bpf_map__fd(skel_->maps.link_sources),
                                  bpf_map__fd(skel_->maps.spoofs),
                                  bpf_map__fd(skel_->maps.link_sources_gen));
}

Result<Stats> Program::stats() const {
    int cpus = libbpf_num_possible_cpus();
    if (cpus < 0) return fail_errno("counting possible CPUs", -cpus);
    std::array<uint64_t, WARREN_STAT_COUNT> sums{};
    std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
    for (uint32_t slot = 0; slot < WARREN_STAT_COUNT; ++slot) {
        int rc = bpf_map_lookup_elem(bpf_map__fd(skel_->maps.stats), &slot, per_cpu.data());
        if (rc < 0) return fail_errno("reading the liveness stats map", -rc);
        for (uint64_t v : per_cpu) sums[slot] += v;
    }
    return Stats{sums[WARREN_STAT_WATCHED],      sums[WARREN_STAT_STRANGER],
                 sums[WARREN_STAT_IGNORED],      sums[WARREN_STAT_TRUNCATED],
                 sums[WARREN_STAT_SPOOF_LOGGED], sums[WARREN_STAT_SPOOF_DROPPED]};
}

}  // namespace warren::liveness
