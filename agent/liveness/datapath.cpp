#include "liveness/datapath.hpp"

#include <map>

#include "liveness/tc_hook.hpp"

namespace warren::liveness {
namespace {

class KernelDatapath final : public Datapath {
  public:
    KernelDatapath(Program program, BpfMaps maps, BpfGuardMaps guard)
        : program_(std::move(program)), maps_(std::move(maps)), guard_(std::move(guard)) {}

    LivenessMaps& maps() override { return maps_; }
    GuardMaps* guard() override { return &guard_; }
    Result<bool> attach(int ifindex) override {
        auto hook = liveness::attach(program_.prog_fd(), ifindex);
        if (!hook) return std::unexpected(std::move(hook.error()));
        if (!*hook) return false;
        // A second attach replaced the filter in place: keep one hook, never detach it here.
        if (!hooks_.try_emplace(ifindex, std::move(**hook)).second) (*hook)->leave_attached();
        return true;
    }
    void forget(int ifindex) override {
        auto it = hooks_.find(ifindex);
        if (it == hooks_.end()) return;
        it->second.leave_attached();
        hooks_.erase(it);
    }
    void leave_attached() override {
        for (auto& [ifindex, hook] : hooks_) hook.leave_attached();
        hooks_.clear();
    }
    Result<Stats> stats() const override { return program_.stats(); }

  private:
    Program program_;
    BpfMaps maps_;
    BpfGuardMaps guard_;
    std::map<int, TcAttachment> hooks_;
};

}  // namespace

Result<std::unique_ptr<Datapath>> load_kernel_datapath(const Options& options) {
    auto program = Program::load(options);
    if (!program) return std::unexpected(std::move(program.error()));
    auto maps = program->maps();
    if (!maps) return std::unexpected(std::move(maps.error()));
    auto guard = program->guard_maps();
    if (!guard) return std::unexpected(std::move(guard.error()));
    return std::make_unique<KernelDatapath>(std::move(*program), std::move(*maps),
                                            std::move(*guard));
}

}  // namespace warren::liveness
