#pragma once
// The list + watch loops of the source, each running until its io_context stops, and the
// one-shot read of kubeadm-config.
#include <utility>
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <boost/asio/awaitable.hpp>
#include <functional>

#include "kube/source.hpp"
#include "kube/transport.hpp"
#include "kube/view.hpp"

namespace warren::kube {

// GET the Node, then watch it from that resourceVersion; `on_node` hears every version. A 410
// (answer or ERROR event) re-reads it at once; other errors after a back-off.
boost::asio::awaitable<void> run_node_watcher(Transport& transport, const Settings& settings,
                                              SourceView& view, Source::NodeHandler on_node);

// List the pods with spec.nodeName = the node (pages of 500), then watch from the list's
// resourceVersion into `view`. A 410 re-lists at once; other errors unsync the view and re-list
// after a back-off. A watch the server ends normally is resumed from the last resourceVersion.
boost::asio::awaitable<void> run_pod_watcher(Transport& transport, const Settings& settings,
                                             SourceView& view);

// List every Namespace (pages of 500), then watch them into `namespaces`, as the pods are
// watched. `on_change` (may be empty) hears each complete list and each event that changed a
// namespace's labels or added or deleted one.
boost::asio::awaitable<void> run_namespace_watcher(Transport& transport, const Settings& settings,
                                                   SourceView& view, NamespaceView& namespaces,
                                                   Source::NamespacesHandler on_change);

// GET /api/v1/namespaces/kube-system/configmaps/kubeadm-config, retrying other errors with
// back-off, until it is read and parsed (then `on_read`, once) or a 403/404 or a ConfigMap that
// does not parse ends it with one log line.
boost::asio::awaitable<void> run_kubeadm_config_reader(
    Transport& transport, std::function<void(ClusterNetworks)> on_read);

// The query parameters of a watch from `resource_version`.
std::string watch_query(const Settings& settings, const std::string& resource_version);

}  // namespace warren::kube
