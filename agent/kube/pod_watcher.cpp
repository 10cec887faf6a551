#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kube/objects.hpp"
#include "kube/retry.hpp"
#include "kube/watchers.hpp"

namespace warren::kube {

namespace net = boost::asio;

namespace {

constexpr int kPageSize = 500;

// Every page of the list; the last page's resourceVersion.
net::awaitable<ApiResult<PodList>> list_pods(Transport& transport, const std::string& selector) {
    PodList all;
    std::string next;
    do {
        std::string target =
            fmt::format("/api/v1/pods?fieldSelector={}&limit={}", selector, kPageSize);
        if (!next.empty()) target += "&continue=" + url_encode(next);
        auto body = co_await transport.get(target);
        if (!body) co_return std::unexpected(body.error());
        auto j = parse_api_json(*body, "the pod list");
        if (!j) co_return std::unexpected(ApiError{0, j.error().message});
        auto page = parse_pod_list(*j);
        if (!page) co_return std::unexpected(ApiError{0, "pod list: " + page.error().message});
        for (auto& p : page->items) all.items.push_back(std::move(p));
        all.resource_version = page->resource_version;
        next = page->continue_token;
    } while (!next.empty());
    co_return all;
}

}  // namespace

net::awaitable<void> run_pod_watcher(Transport& transport, const Settings& settings,
                                     SourceView& view) {
    const std::string selector = "spec.nodeName%3D" + url_encode(settings.node);
    Backoff backoff;
    for (;;) {
        auto list = co_await list_pods(transport, selector);
        if (!list) {
            view.unsync_pods();
            report_error(view, Watcher::pods, list.error().message);
            co_await sleep_for(backoff.next());
            continue;
        }
        std::string rv = list->resource_version;
        const size_t count = list->items.size();
        view.replace_pods(std::move(list->items));
        report_ok(view, Watcher::pods);
        spdlog::debug("kube: pods: {} on node {} at resourceVersion {}", count, settings.node, rv);
        for (;;) {
            const std::string target = fmt::format("/api/v1/pods?fieldSelector={}&{}", selector,
                                                   watch_query(settings, rv));
            auto watched =
                co_await transport.watch(target, [&](std::string_view line) -> ApiResult<void> {
                    auto event = parse_watch_line(line);
                    if (!event) return std::unexpected(ApiError{0, event.error().message});
                    switch (event->type) {
                        case EventType::added:
                        case EventType::modified:
                        case EventType::deleted: {
                            auto pod = parse_pod(event->object);
                            if (!pod) return std::unexpected(ApiError{0, pod.error().message});
                            rv = resource_version_of(event->object);
                            view.apply(event->type, std::move(*pod));
                            view.touch();
                            return {};
                        }
                        case EventType::bookmark:
                            rv = resource_version_of(event->object);
                            view.touch();
                            return {};
                        case EventType::error: {
                            const auto st = parse_status(event->object);
                            return std::unexpected(ApiError{
                                st.code, fmt::format("watch of the pods on {}: ERROR {}: {}",
                                                     settings.node, st.code, st.message)});
                        }
                    }
                    return {};
                });
            if (watched) {
                backoff.reset();
                continue;
            }
            if (watched.error().gone()) {
                view.unsync_pods();
                spdlog::info("kube: pods: the watch expired (410 Gone); listing again");
                break;
            }
            view.unsync_pods();
            report_error(view, Watcher::pods, watched.error().message);
            co_await sleep_for(backoff.next());
            break;
        }
    }
}

}  // namespace warren::kube
