#pragma once
// Runs core::check_pools against the host as the reader sees it now and the cluster plan (the
// configuration's flags, or merged with kubeadm-config's by set_plan(merge_plan(...))); logs each
// warning once at warn level (a line seen before is not repeated when a pool is redefined) and
// keeps the latest list for `warrenctl status`.
//
// Thread-safety: one thread (the daemon's io_context). run() blocks on the netlink dumps.
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/pool_checks.hpp"
#include "netcheck/host_network.hpp"

namespace warren::netcheck {

class PoolCheck {
  public:
    PoolCheck(std::unique_ptr<HostNetworkReader> reader, core::ClusterPlan plan);

    // Checks `pools`. When the host cannot be read, says so (once per distinct error) and checks
    // only against the plan.
    void run(const std::vector<core::PoolRanges>& pools);
    const std::vector<core::PoolWarning>& warnings() const { return warnings_; }
    // The plan the next run() checks against.
    void set_plan(core::ClusterPlan plan) { plan_ = std::move(plan); }
    const core::ClusterPlan& plan() const { return plan_; }

  private:
    std::unique_ptr<HostNetworkReader> reader_;
    core::ClusterPlan plan_;
    std::vector<core::PoolWarning> warnings_;
    std::set<std::string> logged_;
    std::string read_error_;
};

// The plan from two sources: each of --cluster-cidr and --service-cidr when given (`flags`), else
// what the API says (`api`, e.g. kubeadm-config's podSubnet and serviceSubnet, named by
// `api_name`), with cluster_from/service_from naming the source. Logs at info where each list
// came from.
core::ClusterPlan merge_plan(const core::ClusterPlan& flags, const core::ClusterPlan& api,
                             std::string_view api_name);

}  // namespace warren::netcheck
