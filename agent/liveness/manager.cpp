#include "liveness/manager.hpp"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "liveness/stat_netns_prober.hpp"

namespace warren::liveness {

namespace asio = boost::asio;

Result<EbpfMode> parse_ebpf_mode(std::string_view text) {
    if (text == "auto") return EbpfMode::automatic;
    if (text == "on") return EbpfMode::on;
    if (text == "off") return EbpfMode::off;
    return fail(Code::invalid_config, "liveness.ebpf must be \"auto\", \"on\" or \"off\", not \"" +
                                          std::string(text) + "\"");
}

std::string_view to_string(EbpfMode mode) {
    switch (mode) {
        case EbpfMode::automatic:
            return "auto";
        case EbpfMode::on:
            return "on";
        case EbpfMode::off:
            return "off";
    }
    return "?";
}

LivenessSeams system_seams() {
    LivenessSeams s;
    s.load_datapath = load_kernel_datapath;
    s.open_link_watcher = []() -> Result<std::unique_ptr<LinkWatcher>> {
        auto w = NlLinkWatcher::open();
        if (!w) return std::unexpected(std::move(w.error()));
        return std::unique_ptr<LinkWatcher>(std::move(*w));
    };
    s.open_host_link_finder = []() -> Result<std::unique_ptr<HostLinkFinder>> {
        auto f = NlHostLinkFinder::open();
        if (!f) return std::unexpected(std::move(f.error()));
        return std::unique_ptr<HostLinkFinder>(std::move(*f));
    };
    if (auto fast = StatNetnsProber::open())
        s.netns_prober = std::move(*fast);
    else
        s.netns_prober = std::make_unique<SystemNetnsProber>();
    s.holder_scanner = std::make_unique<ProcHolderScanner>();
    s.cookie_reader = std::make_unique<ThreadNetnsCookieReader>();
    s.read_clock = read_wire_clock;
    s.probe_host = probe_ebpf_host;
    return s;
}

LivenessManager::LivenessManager(asio::io_context& io, LivenessConfig config, LivenessSeams seams)
    : io_(io), config_(std::move(config)), seams_(std::move(seams)) {
    status_.mode = config_.ebpf;
    status_.bpffs_dir = config_.bpffs_dir;
    status_.netns = {true, ""};
    status_.holders = {true, ""};
    status_.host_link = {false, "not started"};
    status_.ebpf = {false, "not started"};
    status_.anti_spoofing = {false, "not started"};
}

LivenessManager::~LivenessManager() {
    if (link_events_) link_events_->release();  // the watcher owns the fd
    if (datapath_) datapath_->leave_attached();
}

void LivenessManager::note(SignalState& signal, bool on, std::string why, const char* name) {
    if (signal.on == on && signal.why == why) return;
    if (!on)
        spdlog::warn("liveness: the {} signal is off: {}", name, why);
    else if (!why.empty())
        spdlog::warn("liveness: the {} signal is degraded: {}", name, why);
    else
        spdlog::info("liveness: the {} signal is back", name);
    signal = {on, std::move(why)};
}

Status LivenessManager::start() {
    auto watcher = seams_.open_link_watcher();
    if (watcher) {
        links_ = std::move(*watcher);
        status_.host_link = {true, ""};
    } else {
        status_.host_link = {false, "cannot follow link events: " + watcher.error().describe()};
        spdlog::warn("liveness: the host-link signal is off: {}", status_.host_link.why);
    }
    if (links_) {
        auto finder = seams_.open_host_link_finder();
        if (finder) {
            finder_ = std::move(*finder);
        } else {
            status_.host_link.why =
                "host links are learned from the wire only (cannot look into "
                "pod namespaces: " +
                finder.error().describe() + ")";
            spdlog::warn("liveness: {}", status_.host_link.why);
        }
    }
    if (auto ok = start_datapath(); !ok) return ok;
    start_links();
    return {};
}

Status LivenessManager::start_datapath() {
    const char* without = "GC runs on the netns, holder and host-link signals";
    if (config_.ebpf == EbpfMode::off) {
        status_.ebpf_off = EbpfOff::disabled;
        status_.ebpf = {false, std::string(to_string(EbpfOff::disabled))};
        status_.anti_spoofing = {false, "eBPF is off (liveness.ebpf is \"off\")"};
        spdlog::info("liveness: the eBPF signal is off: liveness.ebpf is \"off\"; {}", without);
        return {};
    }
    EbpfDiagnosis why;
    if (!links_) {
        why = {EbpfOff::no_links, std::string(to_string(EbpfOff::no_links)) +
                                      ": the classifier cannot follow pod links (" +
                                      status_.host_link.why + ")"};
    } else {
        auto dp = seams_.load_datapath(
            Options{.bpffs_dir = config_.bpffs_dir, .track_strangers = config_.track_strangers});
        if (dp) {
            datapath_ = std::move(*dp);
            status_.program_loaded = true;
            status_.ebpf_off = EbpfOff::none;
            status_.ebpf = {true, ""};
            spdlog::info("liveness: classifier loaded, maps pinned under {}",
                         config_.bpffs_dir.string());
            guard_ = SourceGuard(datapath_->guard());
            status_.anti_spoofing = {guard_.on(), guard_.on() ? ""
                                                              : "the loaded classifier has no "
                                                                "anti-spoofing maps"};
            if (!guard_.on())
                spdlog::info("liveness: anti-spoofing is off: {}", status_.anti_spoofing.why);
            return {};
        }
        why = diagnose_load_failure(dp.error(), seams_.probe_host(config_.bpffs_dir));
    }
    status_.ebpf_off = why.reason;
    status_.ebpf = {false, why.text};
    status_.anti_spoofing = {false, "eBPF is off: " + why.text};
    if (config_.ebpf == EbpfMode::on)
        return fail(Code::unavailable,
                    "liveness.ebpf is \"on\" but eBPF is unavailable: " + why.text,
                    "fix that, or set liveness.ebpf to \"auto\" to run without the wire signal");
    spdlog::warn("liveness: the eBPF signal is off: {}; {}", why.text, without);
    return {};
}

bool LivenessManager::should_attach(const LinkInfo& link) const {
    if (link.is_pod_facing_veth()) return true;
    for (const auto& name : config_.interfaces)
        if (name == link.name) return true;
    return false;
}

void LivenessManager::start_links() {
    if (!links_) return;
    if (datapath_) {
        for (const auto& [ifindex, link] : links_->links())
            if (should_attach(link)) attach_link(link);
        for (const auto& name : config_.interfaces) {
            bool present = false;
            for (const auto& [ifindex, link] : links_->links()) present |= link.name == name;
            if (!present)
                spdlog::info(
                    "liveness: liveness.interfaces names {}, which is not here yet; the "
                    "classifier goes on it when it appears",
                    name);
        }
        spdlog::info("liveness: classifier attached to {} link(s)", status_.attached.size());
    }
    link_events_.emplace(io_, links_->fd());
    arm_link_events();
}

void LivenessManager::arm_link_events() {
    // After the manager is gone the wait completes with operation_aborted: touch nothing then.
    link_events_->async_wait(asio::posix::descriptor_base::wait_read,
                             [this](const boost::system::error_code& ec) {
                                 if (ec) return;
                                 on_link_events();
                             });
}

void LivenessManager::on_link_events() {
    if (apply_link_events()) arm_link_events();
}

bool LivenessManager::apply_link_events() {
    if (!link_events_) return false;
    auto drain = links_->process_events([this](const LinkEvent& ev) { on_link(ev); });
    if (drain) {
        status_.link_resyncs += drain->resyncs;
        return true;
    }
    note(status_.host_link, false,
         "link events failed: " + drain.error().describe() +
             "; new pod links are no longer attached (restart warrend)",
         "host-link");
    link_events_->release();
    link_events_.reset();
    return false;
}

void LivenessManager::on_link(const LinkEvent& ev) {
    ++status_.link_events;
    const LinkInfo& link = ev.link;
    if (ev.type == LinkEventType::removed) {
        attach_failed_.erase(link.ifindex);
        if (link.is_veth()) guard_.link_gone(static_cast<uint32_t>(link.ifindex));
        if (status_.attached.erase(link.ifindex) == 0) return;
        datapath_->forget(link.ifindex);
        spdlog::debug("liveness: {} (ifindex {}) is gone, and the classifier with it", link.name,
                      link.ifindex);
        return;
    }
    if (!datapath_ || !should_attach(link)) return;
    if (auto it = status_.attached.find(link.ifindex); it != status_.attached.end()) {
        it->second = link.name;  // renamed, still ours
        return;
    }
    attach_link(link);
}

void LivenessManager::attach_link(const LinkInfo& link) {
    auto attached = datapath_->attach(link.ifindex);
    if (!attached) {
        ++status_.attach_failures;
        if (attach_failed_.insert(link.ifindex).second)
            spdlog::warn(
                "liveness: cannot attach the classifier to {} (ifindex {}): {}{}; its "
                "traffic is not seen (retried when the link changes)",
                link.name, link.ifindex, attached.error().describe(),
                attached.error().details.empty() ? "" : " (" + attached.error().details + ")");
        return;
    }
    if (!*attached) {
        ++status_.vanished;
        spdlog::debug("liveness: {} (ifindex {}) vanished before the classifier was on it",
                      link.name, link.ifindex);
        return;
    }
    attach_failed_.erase(link.ifindex);
    status_.attached[link.ifindex] = link.name;
    ++status_.attaches;
    spdlog::debug("liveness: classifier attached to {} (ifindex {})", link.name, link.ifindex);
}

Status LivenessManager::watch(std::span<const IpAddress> addresses) {
    if (!datapath_) return {};
    Status first;
    for (const auto& a : addresses) {
        auto ok = datapath_->maps().watch(a);
        if (!ok && first) first = std::unexpected(ok.error());
    }
    return first;
}

Status LivenessManager::unwatch(std::span<const IpAddress> addresses) {
    if (!datapath_) return {};
    Status first;
    for (const auto& a : addresses) {
        auto ok = datapath_->maps().unwatch(a);
        if (!ok && first) first = std::unexpected(ok.error());
    }
    return first;
}

Result<ReconcileCounts> LivenessManager::reconcile(const std::vector<IpAddress>& should_watch) {
    ReconcileCounts counts;
    if (!datapath_) return counts;
    auto& maps = datapath_->maps();
    auto now = maps.watched();
    if (!now) return std::unexpected(std::move(now.error()));
    std::unordered_set<IpAddress> wanted(should_watch.begin(), should_watch.end());
    std::unordered_set<IpAddress> have;
    have.reserve(now->size());
    auto count = [&](const Status& ok, size_t& done) {
        if (ok) {
            ++done;
            return;
        }
        ++counts.failed;
        if (!counts.first_error) counts.first_error = ok.error();
    };
    for (const Entry& e : *now) {
        have.insert(e.address);
        if (wanted.contains(e.address))
            ++counts.kept;
        else
            count(maps.unwatch(e.address), counts.removed);
    }
    for (const IpAddress& a : wanted)
        if (!have.contains(a)) count(maps.watch(a), counts.added);
    return counts;
}

Result<int> LivenessManager::protect(const std::string& key, const std::string& netns,
                                     const std::string& ifname, uint64_t inode, int known_ifindex,
                                     SpoofMode mode, std::span<const IpAddress> addresses) {
    if (!guard_.on()) return 0;
    apply_link_events();  // a link gone since the last loop turn must not be taken
    auto pod_facing = [this](int ifindex) {
        if (ifindex <= 0 || !links_) return false;
        auto it = links_->links().find(ifindex);
        return it != links_->links().end() && it->second.is_pod_facing_veth();
    };
    int ifindex = 0;
    if (pod_facing(known_ifindex)) {
        ifindex = known_ifindex;
    } else if (auto l = learned_.find(key); l != learned_.end() && pod_facing(l->second.ifindex)) {
        ifindex = l->second.ifindex;
    } else if (finder_) {
        auto outside = finder_->find_from_outside(netns, ifname, inode);
        auto found = outside && *outside ? Result<HostLink>(std::move(**outside))
                                         : finder_->find(netns, ifname, inode);
        if (!found)
            return std::unexpected(Error{
                found.error().code,
                "anti-spoofing: cannot find the host link of " + key + ": " + found.error().message,
                found.error().details, found.error().sys_errno});
        if (found->outcome == HostLinkOutcome::found) {
            ifindex = found->host.ifindex;
            learned_[key] = {ifindex, HostIfindexSource::netns};
            looked_.erase(key);
        } else if (found->outcome == HostLinkOutcome::no_host_peer) {
            looked_.insert(key);  // not a veth to us: the GC need not ask again
        }
    }
    if (ifindex == 0) return 0;
    if (auto ok = guard_.protect(key, static_cast<uint32_t>(ifindex), mode, addresses); !ok)
        return std::unexpected(std::move(ok.error()));
    return ifindex;
}

Status LivenessManager::unprotect(const std::string& key) {
    return guard_.release(key);
}

int64_t LivenessManager::wire_to_wall_ns(uint64_t coarse_ns) const {
    return seams_.read_clock().to_wall_ns(coarse_ns);
}

std::string LivenessManager::host_link_name(uint32_t ifindex) const {
    if (!links_) return {};
    auto it = links_->links().find(static_cast<int>(ifindex));
    return it == links_->links().end() ? std::string() : it->second.name;
}

LivenessStatus LivenessManager::status() const {
    LivenessStatus s = status_;
    if (datapath_) {
        auto stats = datapath_->stats();
        if (stats) s.classifier = *stats;
    }
    return s;
}

}  // namespace warren::liveness
