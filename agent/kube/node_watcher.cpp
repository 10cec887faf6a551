#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kube/objects.hpp"
#include "kube/retry.hpp"
#include "kube/watchers.hpp"

namespace warren::kube {

namespace net = boost::asio;

std::string watch_query(const Settings& settings, const std::string& resource_version) {
    const std::string from =
        resource_version.empty() ? "" : "&resourceVersion=" + url_encode(resource_version);
    return fmt::format("watch=1{}&allowWatchBookmarks=true&timeoutSeconds={}", from,
                       settings.watch_timeout_seconds);
}

namespace {

// One Node version from the API: hand it over and remember where the watch resumes.
ApiResult<void> take_node(const nlohmann::json& object, const Settings& settings,
                          const Source::NodeHandler& on_node, SourceView& view, std::string& rv) {
    auto node = parse_node(object);
    if (!node) {
        return std::unexpected(ApiError{
            0, fmt::format("Node {} from the API: {}", settings.node, node.error().message)});
    }
    rv = node->resource_version;
    view.node_seen();
    report_ok(view, Watcher::node);
    on_node(*node);
    return {};
}

}  // namespace

net::awaitable<void> run_node_watcher(Transport& transport, const Settings& settings,
                                      SourceView& view, Source::NodeHandler on_node) {
    const std::string name = url_encode(settings.node);
    Backoff backoff;
    // After a 410 the Node's own resourceVersion may be older than the API's watch window
    // (a Node that has not changed for a while): watch from "now", which starts with the
    // Node as ADDED, instead of GET's version.
    bool after_gone = false;
    for (;;) {
        std::string rv;
        auto body = co_await transport.get(fmt::format("/api/v1/nodes/{}", name));
        ApiResult<void> got;
        if (!body) {
            got = std::unexpected(body.error());
            if (body.error().http_status == 404) {
                got.error().message = fmt::format(
                    "the API has no Node \"{}\"; is --kube-node (kubernetes.node) the node's "
                    "name as `kubectl get nodes` shows it?",
                    settings.node);
            }
        } else if (auto j = parse_api_json(*body, "the Node"); !j) {
            got = std::unexpected(ApiError{0, j.error().message});
        } else {
            got = take_node(*j, settings, on_node, view, rv);
        }
        if (!got) {
            report_error(view, Watcher::node, got.error().message);
            co_await sleep_for(backoff.next());
            continue;
        }
        if (after_gone) rv.clear();
        for (;;) {
            const std::string target =
                fmt::format("/api/v1/nodes?fieldSelector=metadata.name%3D{}&{}", name,
                            watch_query(settings, rv));
            auto watched =
                co_await transport.watch(target, [&](std::string_view line) -> ApiResult<void> {
                    auto event = parse_watch_line(line);
                    if (!event) return std::unexpected(ApiError{0, event.error().message});
                    switch (event->type) {
                        case EventType::added:
                        case EventType::modified:
                            return take_node(event->object, settings, on_node, view, rv);
                        case EventType::deleted:
                            spdlog::warn(
                                "kube: the Node {} was deleted from the API; keeping its "
                                "last pod CIDRs",
                                settings.node);
                            rv = resource_version_of(event->object);
                            return {};
                        case EventType::bookmark:
                            rv = resource_version_of(event->object);
                            view.touch();
                            return {};
                        case EventType::error: {
                            const auto st = parse_status(event->object);
                            return std::unexpected(
                                ApiError{st.code, fmt::format("watch of Node {}: ERROR {}: {}",
                                                              settings.node, st.code, st.message)});
                        }
                    }
                    return {};
                });
            if (watched) {
                after_gone = false;
                backoff.reset();
                continue;
            }
            if (watched.error().gone()) {
                spdlog::info("kube: node: the watch expired (410 Gone); reading the Node again");
                // 410 twice in a row: the server refuses even a watch from "now"; slow down.
                if (after_gone) co_await sleep_for(backoff.next());
                after_gone = true;
                break;
            }
            report_error(view, Watcher::node, watched.error().message);
            co_await sleep_for(backoff.next());
            break;
        }
    }
}

}  // namespace warren::kube
