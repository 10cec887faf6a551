#include <utility>
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <mutex>
#include <thread>

#include "kube/api_source.hpp"
#include "kube/transport.hpp"
#include "kube/view.hpp"
#include "kube/watchers.hpp"

namespace warren::kube {

namespace net = boost::asio;

namespace {

class ApiSource final : public Source {
  public:
    ApiSource(Settings settings, std::unique_ptr<Transport> transport)
        : settings_(std::move(settings)), transport_(std::move(transport)) {}
    ~ApiSource() override { stop(); }

    Status start(NodeHandler on_node) override {
        if (settings_.node.empty()) {
            return fail(Code::invalid_config,
                        "Kubernetes: no node name; set --kube-node (kubernetes.node), in a "
                        "DaemonSet from the downward API's spec.nodeName");
        }
        if (thread_.joinable()) return {};
        if (stopped_) {
            return fail(Code::internal, "Kubernetes source: start() after stop(); make a new one");
        }
        spdlog::info("kube: watching Node {} and its pods on {} ({})", settings_.node,
                     server_text(transport_->config()), transport_->config().origin);
        net::co_spawn(io_, run_node_watcher(*transport_, settings_, view_, std::move(on_node)),
                      net::detached);
        net::co_spawn(io_, run_pod_watcher(*transport_, settings_, view_), net::detached);
        if (settings_.watch_namespaces) {
            spdlog::info("kube: watching the namespaces' labels (zones' namespaceSelector)");
            net::co_spawn(
                io_,
                run_namespace_watcher(*transport_, settings_, view_, namespaces_, on_namespaces_),
                net::detached);
        }
        net::co_spawn(io_,
                      run_kubeadm_config_reader(*transport_,
                                                [this](ClusterNetworks n) {
                                                    {
                                                        std::lock_guard lock(mu_);
                                                        networks_ = n;
                                                    }
                                                    if (on_networks_) on_networks_(n);
                                                }),
                      net::detached);
        thread_ = std::thread([this] { io_.run(); });
        return {};
    }

    void stop() override {
        stopped_ = true;
        if (!thread_.joinable()) return;
        io_.stop();
        thread_.join();
    }

    core::Tri pod_running(std::string_view uid) const override { return view_.pod_running(uid); }
    SourceStatus status() const override {
        SourceStatus out = view_.status();
        out.namespaces_watched = settings_.watch_namespaces;
        out.namespaces_synced = namespaces_.synced();
        out.namespaces = namespaces_.size();
        return out;
    }
    void set_networks_handler(NetworksHandler on_networks) override {
        on_networks_ = std::move(on_networks);
    }
    std::optional<ClusterNetworks> cluster_networks() const override {
        std::lock_guard lock(mu_);
        return networks_;
    }
    core::NamespaceLabels namespace_labels(std::string_view name) const override {
        return namespaces_.labels(name);
    }
    void set_namespaces_handler(NamespacesHandler on_change) override {
        on_namespaces_ = std::move(on_change);
    }

  private:
    Settings settings_;
    std::unique_ptr<Transport> transport_;
    SourceView view_;
    NamespaceView namespaces_;
    NetworksHandler on_networks_;
    NamespacesHandler on_namespaces_;
    mutable std::mutex mu_;
    std::optional<ClusterNetworks> networks_;
    // Last: destroyed first, with the suspended watchers that use the members above.
    net::io_context io_{1};
    std::thread thread_;
    bool stopped_ = false;
};

}  // namespace

std::chrono::milliseconds watch_idle_limit(const Settings& settings) {
    return std::chrono::milliseconds(settings.request_timeout_ms) +
           std::chrono::seconds(settings.watch_timeout_seconds);
}

Result<std::unique_ptr<Source>> make_api_source(const Settings& settings, ApiConfig config) {
    if (settings.request_timeout_ms <= 0 || settings.watch_timeout_seconds <= 0) {
        return fail(Code::invalid_config,
                    fmt::format("Kubernetes: request_timeout_ms ({}) and watch_timeout_seconds "
                                "({}) must be positive",
                                settings.request_timeout_ms, settings.watch_timeout_seconds));
    }
    TransportOptions options;
    options.request_timeout = std::chrono::milliseconds(settings.request_timeout_ms);
    options.watch_idle = watch_idle_limit(settings);
    auto transport = Transport::create(std::move(config), options);
    if (!transport) return std::unexpected(transport.error());
    return std::make_unique<ApiSource>(settings, std::move(*transport));
}

Result<std::unique_ptr<Source>> make_api_source(const Settings& settings) {
    auto config =
        settings.kubeconfig.empty() ? load_in_cluster() : load_kubeconfig(settings.kubeconfig);
    if (!config) return std::unexpected(config.error());
    return make_api_source(settings, std::move(*config));
}

}  // namespace warren::kube
