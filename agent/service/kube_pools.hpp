#pragma once
// The pool Kubernetes gives this node (DESIGN §9): every version of the Node the source reports
// becomes a definition of pool `pool`, one range set per spec.podCIDRs entry (one per family, in
// the API's order, host-local's defaults for a subnet), submitted through
// IpamService::define_pool like the configuration's pools (journaled before it counts).
//
// - No CIDRs yet and no pool: waiting. gate() refuses ADD and STATUS of that pool with
//   Code::unavailable and the waiting message; the log says so once.
// - A pool from the journal (a restart) is served at once and updated when the Node is read.
// - The same CIDRs again: nothing is submitted. Other CIDRs: logged (old -> new) and the pool
//   redefined; allocations outside the new ranges keep their addresses until released.
// - Malformed CIDRs (or a definition the state refuses, e.g. an overlap with another pool):
//   logged once per distinct list, the pool left as it was, the error kept for status().
//
// Thread-safety: handler() may be called on any thread (the source's); it posts to the
// io_context. Everything else on the io_context's thread. Lifetime: stop the source before
// destroying this while the io_context still runs handlers.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ipam_state.hpp"
#include "kube/source.hpp"
#include "service/ipam_service.hpp"

namespace warren::service {

struct KubePoolStatus {
    std::string node, pool;
    std::vector<std::string>
        cidrs;            // the pool's subnets as served now (from the journal or the Node)
    bool waiting = true;  // the pool is not defined yet
    std::string error;    // the last refused update ("" after one is served)
};

class KubePools {
  public:
    KubePools(boost::asio::io_context& io, core::IpamState& state, IpamService& service,
              std::string node, std::string pool);

    // For kube::Source::start: hands each NodeState to apply() on the io_context.
    kube::Source::NodeHandler handler();
    // Turns one version of the Node into the pool (see above).
    void apply(const kube::NodeState& node);

    // Code::unavailable with the waiting message when `pool` is this pool and it is not
    // defined yet; ok otherwise.
    Status gate(std::string_view pool) const;
    KubePoolStatus status() const;
    // "waiting for Node NAME's spec.podCIDRs (...)".
    std::string waiting_message() const;
    // Hears every change of status() (waiting ended, CIDRs changed, an error): the daemon's
    // systemd STATUS= line. Must not block.
    void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }

  private:
    void refuse(const std::vector<std::string>& cidrs, const std::string& why);
    void changed();

    boost::asio::io_context& io_;
    core::IpamState& state_;
    IpamService& service_;
    std::string node_, pool_;
    std::string error_;
    std::string refused_;  // the CIDR list last refused (logged once)
    bool said_waiting_ = false, said_empty_ = false;
    std::function<void()> on_change_;
};

// "10.244.1.0/24, fd00:10:244:1::/64"; "none" when empty.
std::string join_cidrs(const std::vector<std::string>& cidrs);

}  // namespace warren::service
