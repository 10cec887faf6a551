#pragma once
// The liveness classifier loaded into the kernel: a move-only owner of its libbpf skeleton
// (destroyed with it). Loading pins `watch`, `strangers`, `link_sources`, `spoofs` and
// `link_sources_gen` under Options::bpffs_dir, or reuses the maps already pinned there (creating
// those missing, as after an upgrade), so observations and anti-spoofing entries survive an agent
// restart; the tc filters keep the previous program (and so the maps) running while the agent is
// down.
//
// Pin layout: <bpffs_dir>/{watch,strangers,link_sources,spoofs,link_sources_gen} (bpffs_dir made
// 0700). Nothing else is pinned: tc filters hold the program, detach_all() finds them by handle,
// prio and name.
#include <array>
#include <filesystem>

#include "liveness/bpf_guard_maps.hpp"
#include "liveness/bpf_maps.hpp"
#include "warren/default_paths.hpp"
#include "warren/error.hpp"

struct liveness_bpf;

namespace warren::liveness {

// The objects load() pins, by file name under bpffs_dir.
inline constexpr std::array<const char*, 5> kPinnedMaps{"watch", "strangers", "link_sources",
                                                        "spoofs", "link_sources_gen"};

struct Options {
    std::filesystem::path bpffs_dir = kDefaultBpffsDir;  // liveness.bpffsDir
    bool track_strangers = true;                         // off: unwatched sources are not recorded
};

class Program {
  public:
    // Opens the embedded object, sets its settings, and loads it (verifier) with its maps pinned
    // or reused. Errors say what to do: bpffs not mounted, missing capabilities, pins from an
    // incompatible build (`warrend --detach-all`), the verifier's complaint (logged by libbpf).
    static Result<Program> load(const Options& options);

    Program(Program&& o) noexcept;
    Program& operator=(Program&& o) noexcept;
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;
    ~Program();

    int prog_fd() const;
    const std::filesystem::path& bpffs_dir() const { return bpffs_dir_; }
    // The maps, through fds of their own (valid after this Program is destroyed).
    Result<BpfMaps> maps() const;
    // The anti-spoofing maps (link_sources, spoofs), likewise through fds of their own.
    Result<BpfGuardMaps> guard_maps() const;
    // This program instance's counters (not pinned: they start at 0 with each load).
    Result<Stats> stats() const;

  private:
    Program(liveness_bpf* skel, std::filesystem::path dir)
        : skel_(skel), bpffs_dir_(std::move(dir)) {}
    liveness_bpf* skel_ = nullptr;
    std::filesystem::path bpffs_dir_;
};

}  // namespace warren::liveness
