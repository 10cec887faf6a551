#include "kube/list_watch.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kube/retry.hpp"
#include "kube/watchers.hpp"

namespace warren::kube {

namespace net = boost::asio;

namespace {

constexpr int kPageSize = 500;

// Every page of the list; the last page's resourceVersion.
template <class Item>
net::awaitable<ApiResult<ObjectList<Item>>> list_all(Transport& transport,
                                                     const Collection<Item>& c) {
    ObjectList<Item> all;
    std::string next;
    do {
        std::string target = fmt::format("{}limit={}", c.query, kPageSize);
        if (!next.empty()) target += "&continue=" + url_encode(next);
        auto body = co_await transport.get(target);
        if (!body) co_return std::unexpected(body.error());
        auto j = parse_api_json(*body, "the " + c.list_name);
        if (!j) co_return std::unexpected(ApiError{0, j.error().message});
        auto page = c.parse_list(*j);
        if (!page) {
            co_return std::unexpected(ApiError{0, c.list_name + ": " + page.error().message});
        }
        for (auto& item : page->items) all.items.push_back(std::move(item));
        all.resource_version = page->resource_version;
        next = page->continue_token;
    } while (!next.empty());
    co_return all;
}

}  // namespace

template <class Item>
net::awaitable<void> run_list_watch(Transport& transport, const Settings& settings,
                                    SourceView& view, Collection<Item> c) {
    const char* name = watcher_name(c.watcher);
    Backoff backoff;
    for (;;) {
        auto list = co_await list_all(transport, c);
        if (!list) {
            c.unsync();
            report_error(view, c.watcher, list.error().message);
            co_await sleep_for(backoff.next());
            continue;
        }
        std::string rv = list->resource_version;
        const size_t count = list->items.size();
        c.replace(std::move(list->items));
        report_ok(view, c.watcher);
        spdlog::debug("kube: {}: {} listed at resourceVersion {}", name, count, rv);
        for (;;) {
            const std::string target = c.query + watch_query(settings, rv);
            auto watched =
                co_await transport.watch(target, [&](std::string_view line) -> ApiResult<void> {
                    auto event = parse_watch_line(line);
                    if (!event) return std::unexpected(ApiError{0, event.error().message});
                    switch (event->type) {
                        case EventType::added:
                        case EventType::modified:
                        case EventType::deleted: {
                            auto item = c.parse_item(event->object);
                            if (!item) return std::unexpected(ApiError{0, item.error().message});
                            rv = resource_version_of(event->object);
                            c.apply(event->type, std::move(*item));
                            view.touch();
                            return {};
                        }
                        case EventType::bookmark:
                            rv = resource_version_of(event->object);
                            view.touch();
                            return {};
                        case EventType::error: {
                            const auto st = parse_status(event->object);
                            return std::unexpected(
                                ApiError{st.code, fmt::format("watch of {}: ERROR {}: {}",
                                                              c.watch_name, st.code, st.message)});
                        }
                    }
                    return {};
                });
            if (watched) {
                backoff.reset();
                continue;
            }
            c.unsync();
            if (watched.error().gone()) {
                spdlog::info("kube: {}: the watch expired (410 Gone); listing again", name);
                break;
            }
            report_error(view, c.watcher, watched.error().message);
            co_await sleep_for(backoff.next());
            break;
        }
    }
}

template net::awaitable<void> run_list_watch(Transport&, const Settings&, SourceView&,
                                             Collection<PodInfo>);
template net::awaitable<void> run_list_watch(Transport&, const Settings&, SourceView&,
                                             Collection<NamespaceInfo>);

}  // namespace warren::kube
