#include "daemon.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "admin/admin_service.hpp"
#include "admin/event_log.hpp"
#include "core/clock.hpp"
#include "core/ipam_state.hpp"
#include "journal/dir_lock.hpp"
#include "journal/file_storage.hpp"
#include "journal/group_commit.hpp"
#include "journal/journal.hpp"
#include "kube/source.hpp"
#include "liveness/manager.hpp"
#include "server/admin_frames.hpp"
#include "server/cni_protocol.hpp"
#include "server/systemd.hpp"
#include "server/unix_server.hpp"
#include "metrics/agent_metrics.hpp"
#include "metrics/http_server.hpp"
#include "netcheck/nl_host_network.hpp"
#include "netcheck/pool_check.hpp"
#include "service/gc_runner.hpp"
#include "service/ipam_service.hpp"
#include "service/kube_pools.hpp"
#include "service/pool_monitor.hpp"
#include "service/queue_drain.hpp"
#include "service/recovery.hpp"
#include "service/zone_enforcer.hpp"
#include "warren/admin_protocol.hpp"

namespace warren {

namespace asio = boost::asio;

namespace {

using namespace server;
using namespace service;

bool is_admin_name(const std::string& name) {
    return name == "admin.sock" || name == "admin";
}

// The CNI and admin sockets: passed by systemd (by name: "warren.sock"/"cni" and
// "admin.sock"/"admin"; a single unnamed one is the CNI socket), else bound here.
struct Listeners {
    Fd cni, admin;
};
Result<Listeners> open_sockets(const config::AgentConfig& cfg) {
    Listeners out;
    auto activated = take_activated_sockets();
    for (auto& s : activated) {
        if (is_admin_name(s.name)) {
            spdlog::info("using the admin socket passed by systemd (fd {})", s.fd.get());
            out.admin = std::move(s.fd);
        } else if (!out.cni && (s.name.empty() || s.name == "warren.sock" || s.name == "cni" ||
                                activated.size() == 1)) {
            spdlog::info("using the CNI socket passed by systemd (fd {})", s.fd.get());
            out.cni = std::move(s.fd);
        }
    }
    // The admin socket first: whoever waits for the CNI socket to accept (a probe, a script)
    // then finds the admin socket ready too, not a stale file from the last run.
    if (!out.admin) {
        auto fd = listen_unix(cfg.effective_admin_socket(), cfg.admin_group.empty() ? 0600 : 0660,
                              cfg.admin_group);
        if (!fd) {
            auto e = fd.error();
            e.message = "admin socket: " + e.message;
            return std::unexpected(e);
        }
        out.admin = std::move(*fd);
    }
    if (!out.cni) {
        auto fd = listen_unix(cfg.socket, 0660, cfg.socket_group);
        if (!fd) return std::unexpected(fd.error());
        out.cni = std::move(*fd);
    }
    return out;
}

class Daemon {
public:
  Daemon(const config::AgentConfig& cfg, core::IpamState& state, journal::Journal& journal,
         journal::GroupCommitter& committer, liveness::EbpfMode ebpf, metrics::AgentMetrics& metrics)
      : cfg_(cfg),
        state_(state),
        journal_(journal),
        committer_(committer),
        sink_(committer),
        service_(io_, state, sink_, clock_, journal.next_seq(),
                 {cfg.snapshot_after_bytes, journal.journal_bytes()}),
        drain_(io_, service_, cfg.effective_delete_queue_dir()),
        liveness_(io_, liveness_config(cfg, ebpf), liveness::system_seams()),
        gc_(io_, state, service_, liveness_, clock_,
            {cfg.gc_interval_seconds * 1'000'000'000, cfg.gc_grace_seconds * 1'000'000'000}),
        admin_(admin::AdminContext{state,
                                   service_,
                                   liveness_,
                                   gc_,
                                   clock_,
                                   events_,
                                   &monitor_,
                                   [this] { return journal_info(); },
                                   [this] { return render_metrics(); },
                                   WARREN_VERSION,
                                   clock_.now_ns(),
                                   kube_info(),
                                   [this] { return pool_check_.warnings(); },
                                   [this](const core::Allocation& a) -> std::optional<core::ZoneReport> {
                                       if (!zones_.rules()->enabled()) return std::nullopt;
                                       return zones_.report(a);
                                   },
                                   [this] { return reload_zones(); }}),
        sweep_timer_(io_),
        queue_timer_(io_),
        signals_(io_, SIGTERM, SIGINT),
        hangup_(io_, SIGHUP),
        metrics_(metrics),
        monitor_(io_, state, core::AlertSettings{cfg.alert_warn, cfg.alert_crit}) {
      service_.set_on_answered([this](proto::Op op, int64_t ns) { metrics_.on_answered(op, ns); });
      gc_.set_on_decided(
          [this](auto& decisions, auto& conflicts) { metrics_.on_gc(decisions, conflicts); });
  }

  ~Daemon() { stop_kube(); }  // no Node handler may run once the members go

  // The history `events` shows after a restart: what the journal replayed.
  void seed_events(const journal::Recovered& rec) {
      admin::seed_from_records(events_, rec.records, state_);
  }

    Status run() {
        if (auto s = define_config_pools(); !s) return s;
        if (auto s = start_kube(); !s) return s;
        log_pools(state_);
        check_pools();
        if (auto s = drain_.check_dir(); !s) return s;
        if (auto s = start_liveness(); !s) return s;
        start_zones();
        auto listeners = open_sockets(cfg_);
        if (!listeners) return std::unexpected(listeners.error());
        ServerOptions so{cfg_.max_frame_bytes, cfg_.request_timeout_ms, std::nullopt,
                         cfg_.socket_group,    cfg_.max_connections,    cfg_.max_buffered_bytes};
        if (!cfg_.socket_group.empty()) {
            auto g = group_id(cfg_.socket_group);
            if (!g) return std::unexpected(g.error());
            so.allowed_gid = *g;
        }
        server_ = std::make_unique<UnixServer>(
            io_, std::move(listeners->cni), so,
            std::make_shared<CniProtocol>([this](proto::Request r, CniProtocol::Reply reply) {
                service_.handle(std::move(r), std::move(reply));
            }));
        if (auto s = start_metrics(); !s) return s;
        server_->start();
        monitor_.start();
        // The admin socket: its own group, large requests (an import), a generous timeout.
        ServerOptions ao{static_cast<uint32_t>(warren::admin::kAdminMaxRequest),
                         std::max(cfg_.request_timeout_ms, 30'000),
                         std::nullopt,
                         cfg_.admin_group,
                         128,
                         warren::admin::kAdminMaxRequest * 2};
        if (!cfg_.admin_group.empty()) {
            auto g = group_id(cfg_.admin_group);
            if (!g) return std::unexpected(g.error());
            ao.allowed_gid = *g;
        }
        admin_server_ = std::make_unique<UnixServer>(
            io_, std::move(listeners->admin), ao,
            std::make_shared<AdminFrames>([this](nlohmann::json r, AdminFrames::Reply reply) {
                admin_.handle(r, std::move(reply));
            }));
        admin_server_->start();
        gc_.start();
        schedule_queue_scan();
        arm_hangup();
        signals_.async_wait([this](boost::system::error_code ec, int sig) {
            if (ec) return;
            spdlog::info("signal {} received: finishing in-flight requests and stopping", sig);
            notify_systemd("STOPPING=1");
            shutdown();
        });
        spdlog::info("serving CNI requests on {} and the admin socket on {}", cfg_.socket,
                     cfg_.effective_admin_socket());
        if (auto s = watchdog_.start(); !s) return s;
        notify_systemd("READY=1\nSTATUS=" + systemd_status());
        drain_.start_pass();  // served first: the queue never delays serving
        io_.run();
        return {};
    }

    // GET /metrics's text (also for the admin socket's `metrics`); on the I/O thread.
    std::string render_metrics() const {
        const auto st = liveness_.status();
        metrics::StateView v{state_, monitor_, liveness_.ebpf_on(), st.attached.size(), kube_view()};
        if (const auto& guard = liveness_.guard(); guard.on()) {
            v.antispoof = guard.counts();
            v.offenders = guard.offenders();
        }
        return metrics::render_all(metrics_, v);
    }
    const PoolHealthSource& pool_health() const { return monitor_; }

private:
    // --- metrics (DESIGN §8): the HTTP listener; the pool monitor runs beside it ---
    Status start_metrics() {
        if (metrics::metrics_disabled(cfg_.metrics_address)) {
            spdlog::info("metrics: off (metrics.address is \"{}\")", cfg_.metrics_address);
            return {};
        }
        auto srv = metrics::MetricsHttpServer::listen(io_, cfg_.metrics_address, [this] { return render_metrics(); });
        if (!srv) return std::unexpected(srv.error());
        metrics_server_ = std::move(*srv);
        metrics_server_->start();
        const auto ep = metrics_server_->local_endpoint();
        spdlog::info("metrics: serving GET /metrics on {}", ep.address().is_v6()
                                                                 ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                                                                 : fmt::format("{}:{}", ep.address().to_string(), ep.port()));
        return {};
    }
    static liveness::LivenessConfig liveness_config(const config::AgentConfig& cfg, liveness::EbpfMode ebpf) {
        liveness::LivenessConfig lc;
        lc.ebpf = ebpf;
        lc.bpffs_dir = cfg.bpffs_dir;
        lc.interfaces = cfg.liveness_interfaces;
        return lc;
    }
    // Starts the liveness signals (eBPF per liveness.ebpf), says which are on and why, makes
    // `watch` hold every allocated and quarantined address, and watches each ADD's addresses
    // before it is answered.
    Status start_liveness() {
        if (auto s = liveness_.start(); !s) return s;
        const auto st = liveness_.status();
        auto said = [](const liveness::SignalState& s) { return s.on ? std::string("on") : "off (" + s.why + ")"; };
        spdlog::info("liveness signals (ebpf: {}): netns {}, holders {}, host links {}, eBPF {}",
                     liveness::to_string(st.mode), said(st.netns), said(st.holders), said(st.host_link),
                     st.ebpf.on ? "on, maps pinned under " + st.bpffs_dir.string() : said(st.ebpf));
        std::vector<IpAddress> should;
        size_t allocated = 0, quarantined = 0;
        for (auto& [k, a] : state_.allocations()) {
            should.insert(should.end(), a.addresses.begin(), a.addresses.end());
            allocated += a.addresses.size();
        }
        for (auto& [n, p] : state_.pools())
            for (auto& [addr, c] : p.quarantine) {
                should.push_back(addr);
                ++quarantined;
            }
        if (liveness_.ebpf_on()) {
            auto r = liveness_.reconcile(should);
            if (!r)
                spdlog::warn("liveness: could not reconcile the watch map with the journal: {}",
                             r.error().describe());
            else
                spdlog::info("liveness: watch map reconciled with {} allocated and {} quarantined address(es): "
                             "{} added, {} removed, {} kept, {} failed{}",
                             allocated, quarantined, r->added, r->removed, r->kept, r->failed,
                             r->first_error ? " (" + r->first_error->describe() + ")" : std::string{});
        }
        service_.set_on_allocated([this](const core::Allocation& a) {
            if (auto s = liveness_.watch(a.addresses); !s) {
                ++watch_failures_;
                spdlog::warn("liveness: could not watch the addresses of {} ({} failure(s) so far); the wire "
                             "will not vouch for it: {}",
                             a.key.str(), watch_failures_, s.error().describe());
            }
            zones_.on_allocated(a);
        });
        return {};
    }
    // --- zones (issue 11): the ADD gate, anti-spoofing per link, reloads ---
    void start_zones() {
        service_.set_zone_gate(zones_.gate());
        service_.add_on_durable([this](const std::vector<core::Event>& events) {
            for (auto& ev : events) {
                if (auto* r = std::get_if<core::Released>(&ev)) zones_.on_released(r->key);
                if (auto* h = std::get_if<core::HostLinkLearned>(&ev); h && h->host_ifindex > 0)
                    zones_.on_link_learned(h->key);
            }
        });
        zones_.protect_all();
        const auto& z = *zones_.rules();
        if (z.enabled())
            spdlog::info("zones: {} zone(s), strict {}; pods in no zone: antiSpoofing {}",
                         z.zones.size(), z.strict ? "on" : "off",
                         core::to_string(z.default_anti_spoofing));
        for (auto& zone : z.zones)
            if (!state_.pools().contains(zone.pool))
                spdlog::warn("zones: zone {}'s pool '{}' is not defined (yet): its pods' ADDs fail "
                             "until a pool of that name exists",
                             zone.name, zone.pool);
    }
    core::NamespaceLabels namespace_labels(std::string_view ns) const {
        return kube_source_ ? kube_source_->namespace_labels(ns) : core::NamespaceLabels{};
    }
    bool labels_watched() const { return kube_source_ && cfg_.zones.uses_selectors(); }
    // SIGHUP and `warrenctl reload`: the config file's zones and antiSpoofing again.
    Result<std::string> reload_zones() {
        if (cfg_.config_path.empty())
            return fail(Code::invalid_config, "reload: warrend was started without --config; there is "
                                              "no file to read the zones from");
        auto rules = config::load_zones(cfg_.config_path);
        if (!rules) {
            spdlog::error("zones not reloaded (the old ones stay in force): {}", rules.error().describe());
            return std::unexpected(rules.error());
        }
        auto r = zones_.replace(std::move(*rules), labels_watched());
        if (!r) spdlog::error("{}", r.error().message);
        return r;
    }
    void arm_hangup() {
        hangup_.async_wait([this](boost::system::error_code ec, int) {
            if (ec || stopping_) return;
            spdlog::info("SIGHUP: reloading the zones from {}", cfg_.config_path.empty() ? "(no --config)" : cfg_.config_path);
            (void)reload_zones();
            arm_hangup();
        });
    }
    // --- Kubernetes (DESIGN §9, §7 signal 5): the pool from the Node, pods as a GC signal ---
    std::function<admin::KubeInfo()> kube_info() {
        if (cfg_.kubernetes.node.empty()) return {};
        return [this] {
            admin::KubeInfo k;
            if (kube_pools_) k.pool = kube_pools_->status();
            if (kube_source_) k.source = kube_source_->status();
            return k;
        };
    }
    // With kubernetes.node: the API source, whose Node versions define the pool (a journaled pool
    // is served at once) and whose pods answer signal 5 in every GC pass.
    Status start_kube() {
        if (cfg_.kubernetes.node.empty()) return {};
        auto settings = cfg_.kubernetes;
        settings.watch_namespaces = cfg_.zones.uses_selectors();
        auto src = kube::make_api_source(settings);
        if (!src) {
            auto e = src.error();
            e.message = "kubernetes (--kube-node " + cfg_.kubernetes.node + "): " + e.message;
            return std::unexpected(e);
        }
        kube_source_ = std::move(*src);
        kube_pools_ = std::make_unique<KubePools>(io_, state_, service_, cfg_.kubernetes.node,
                                                  cfg_.kubernetes.pool);
        service_.set_pool_gate([this](std::string_view pool) { return kube_pools_->gate(pool); });
        gc_.set_kube(
            [src = kube_source_.get()](std::string_view uid) { return src->pod_running(uid); });
        kube_source_->set_networks_handler([this](const kube::ClusterNetworks& n) {
            asio::post(io_, [this, n] { use_cluster_networks(n); });
        });
        kube_source_->set_namespaces_handler([this] {
            asio::post(io_, [this] { zones_.protect_all(); });  // a namespace may have changed zone
        });
        kube_pools_->set_on_change([this] {
            notify_systemd("STATUS=" + systemd_status());
            check_pools();  // the Node's CIDRs may have (re)defined the pool
        });
        const auto st = kube_pools_->status();
        if (st.waiting)
            spdlog::info("kubernetes: {}; CNI ADD and STATUS of pool '{}' answer that until then",
                         kube_pools_->waiting_message(), st.pool);
        else
            spdlog::info("kubernetes: serving pool '{}' ({}) from the journal until Node {} is read",
                         st.pool, join_cidrs(st.cidrs), st.node);
        return kube_source_->start(kube_pools_->handler());
    }
    // kubeadm-config's ranges fill in for --cluster-cidr/--service-cidr not given; the pools are
    // checked again against the result.
    void use_cluster_networks(const kube::ClusterNetworks& n) {
        pool_check_.set_plan(netcheck::merge_plan(
            core::ClusterPlan{cfg_.cluster_cidrs, cfg_.service_cidrs},
            core::ClusterPlan{n.pod_subnets, n.service_subnets}, "kubeadm-config"));
        check_pools();
    }
    // The pools against this node's addresses and routes and the cluster plan (--cluster-cidr/
    // --service-cidr, or kubeadm-config's) (core/pool_checks.hpp): warnings logged once, the
    // current list in `status`.
    void check_pools() {
        std::vector<core::PoolRanges> pools;
        for (auto& [name, p] : state_.pools()) pools.push_back({name, p.sets});
        pool_check_.run(pools);
    }
    std::optional<metrics::KubeView> kube_view() const {
        if (!kube_pools_ || !kube_source_) return std::nullopt;
        const auto src = kube_source_->status();
        return metrics::KubeView{kube_pools_->status().waiting, src.pods_synced, src.pods,
                                 src.last_ok_ns};
    }
    void stop_kube() {
        if (kube_source_) kube_source_->stop();
    }
    std::string systemd_status() const {
        if (kube_pools_) {
            const auto st = kube_pools_->status();
            if (st.waiting) return kube_pools_->waiting_message();
            return "serving " + cfg_.socket + "; pool " + st.pool + " from Node " + st.node + ": " +
                   join_cidrs(st.cidrs);
        }
        return "serving " + cfg_.socket;
    }
    // Submits the configured pools through the service and runs the I/O loop until they are
    // durable, before anything is served.
    Status define_config_pools() {
        auto guard = asio::make_work_guard(io_);
        size_t pending = 0;
        Status result;
        for (auto& p : cfg_.pools) {
            ++pending;
            service_.define_pool(p.name, p.sets, core::PoolSource::config, [&](Status st) {
                --pending;
                if (!st && result) result = std::move(st);
            });
            if (!result) break;
        }
        while (pending > 0) io_.run_one();
        guard.reset();
        io_.restart();  // the guard's end, with no other work yet, stopped the context
        return result;
    }
    void shutdown() {
        stopping_ = true;
        stop_kube();
        watchdog_.stop();
        drain_.stop();
        server_->stop();
        admin_server_->stop();
        gc_.stop();
        monitor_.stop();
        if (metrics_server_) metrics_server_->stop();
        sweep_timer_.cancel();
        queue_timer_.cancel();
        hangup_.cancel();
        wait_idle();
    }
    void wait_idle() {
        if (service_.idle()) {
            io_.stop();
            return;
        }
        sweep_timer_.expires_after(std::chrono::milliseconds(5));
        sweep_timer_.async_wait([this](boost::system::error_code) { wait_idle(); });
    }
    void schedule_queue_scan() {
        queue_timer_.expires_after(std::chrono::milliseconds(cfg_.queue_scan_interval_ms));
        queue_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || stopping_) return;
            drain_.start_pass();
            schedule_queue_scan();
        });
    }
    admin::JournalInfo journal_info() const {
        const auto cs = committer_.stats();
        admin::JournalInfo j;
        j.bytes = journal_.journal_bytes();
        j.records =
            journal_.next_seq() - 1 - std::min(journal_.next_seq() - 1, journal_.snapshot_seq());
        j.last_snapshot_ns = service_.stats().last_snapshot_ns;
        j.syncs = cs.batches;
        j.last_sync_ms = static_cast<double>(cs.last_sync_ns) / 1e6;
        j.max_sync_ms = static_cast<double>(cs.max_sync_ns) / 1e6;
        return j;
    }

    const config::AgentConfig& cfg_;
    core::IpamState& state_;
    journal::Journal& journal_;
    journal::GroupCommitter& committer_;
    asio::io_context io_{1};
    core::SystemClock clock_;
    GroupCommitSink sink_;
    IpamService service_;
    std::unique_ptr<UnixServer> server_;
    QueueDrain drain_;
    liveness::LivenessManager liveness_;
    service::GcRunner gc_;
    admin::EventLog events_;
    admin::AdminService admin_;
    std::unique_ptr<UnixServer> admin_server_;
    size_t watch_failures_ = 0;
    asio::steady_timer sweep_timer_, queue_timer_;
    asio::signal_set signals_;
    asio::signal_set hangup_;  // SIGHUP: reload the zones
    Watchdog watchdog_{io_};
    bool stopping_ = false;
    metrics::AgentMetrics& metrics_;
    PoolMonitor monitor_;
    std::unique_ptr<metrics::MetricsHttpServer> metrics_server_;
    netcheck::PoolCheck pool_check_{netcheck::make_nl_host_network_reader(),
                                    core::ClusterPlan{cfg_.cluster_cidrs, cfg_.service_cidrs}};
    std::unique_ptr<KubePools> kube_pools_;
    std::unique_ptr<kube::Source> kube_source_;  // declared after kube_pools_: gone (stopped) first
    service::ZoneEnforcer zones_{state_, liveness_, cfg_.zones,
                                 [this](std::string_view ns) { return namespace_labels(ns); }};
};

}  // namespace

Status run_daemon(const config::AgentConfig& cfg) {
    auto ebpf = liveness::parse_ebpf_mode(cfg.ebpf);
    if (!ebpf) return std::unexpected(ebpf.error());
    auto lock = journal::DirLock::acquire(cfg.state_dir);
    if (!lock) return std::unexpected(lock.error());
    auto storage = journal::FileStorage::open(cfg.state_dir);
    if (!storage) return std::unexpected(storage.error());
    auto opened = journal::Journal::open(std::move(*storage));
    if (!opened) return std::unexpected(opened.error());
    auto& [jr, rec] = *opened;
    if (rec.truncated_bytes)
        spdlog::warn("journal: cut a torn tail of {} bytes ({}); it held no acknowledged change", rec.truncated_bytes,
                     rec.torn_problem);

    core::IpamState state(cfg.cooldown_seconds * 1'000'000'000);
    if (auto s = recover(state, rec); !s) return std::unexpected(s.error());
    spdlog::info("recovered {} allocation(s) from {} (snapshot at seq {}, {} journal record(s))",
                 state.allocations().size(), cfg.state_dir, rec.snapshot_seq, rec.records.size());

    Status result;
    // Outlives the committer, whose thread records sync latency into it.
    metrics::AgentMetrics metrics(WARREN_VERSION, double(core::SystemClock().now_ns()) / 1e9);
    {
        journal::GroupCommitter committer(*jr);
        committer.set_on_sync([&metrics](uint64_t ns) { metrics.on_journal_sync(ns); });
        {
            Daemon d(cfg, state, *jr, committer, *ebpf, metrics);
            d.seed_events(rec);
            result = d.run();
        }
        const auto st = committer.stats();
        spdlog::info("journal: {} change(s) made durable in {} sync(s) ({:.1f} per sync), slowest sync {:.1f} ms, "
                     "{} snapshot(s)",
                     st.submissions, st.batches, st.batches ? double(st.submissions) / double(st.batches) : 0.0,
                     double(st.max_sync_ns) / 1e6, st.snapshots);
    }
    spdlog::info("warrend stopped");
    return result;
}

}  // namespace warren
