// "release" and "gc": the admin's changes, through IpamService::submit like every other.
#include <spdlog/spdlog.h>

#include "admin/admin_service.hpp"
#include "admin/args.hpp"
#include "service/gc_signals_from_liveness.hpp"
#include "warren/log_text.hpp"

namespace warren::admin {

using nlohmann::json;

namespace {

std::string seconds_ago(int64_t now, int64_t then) {
    return std::to_string(std::max<int64_t>(0, now - then) / 1'000'000'000) + " s ago";
}

// The live signals of one allocation read now, each as a sentence; empty when none says alive.
std::vector<std::string> live_signals(const core::Allocation& a,
                                      const liveness::AllocationObservation& o,
                                      int64_t traffic_after_ns, int64_t now_ns) {
    std::vector<std::string> out;
    const core::Observation obs = service::to_observation(o);
    if (obs.netns == core::Tri::yes)
        out.push_back("its netns path still exists with the namespace recorded at ADD (" + a.netns +
                      ")");
    if (obs.held == core::Tri::yes)
        out.push_back(o.holder_pid
                          ? "a process still holds its network namespace (pid " +
                                std::to_string(o.holder_pid) + ")"
                          : "its network namespace is still mounted (" + o.holder_mount + ")");
    if (obs.link == core::Tri::yes)
        out.push_back("its host-side link (ifindex " + std::to_string(o.host_ifindex) +
                      ") still exists");
    for (auto& s : o.addresses)
        if (s.wire == liveness::WireSignal::seen && s.last_seen_ns > traffic_after_ns)
            out.push_back("the wire saw " + s.address.str() + " " +
                          seconds_ago(now_ns, s.last_seen_ns) + ", after its last GC pass");
    return out;
}

}  // namespace

void AdminService::release(const json& args, Done done) {
    Args a("release", args);
    auto ip = a.address("ip");
    if (!ip) return done(std::unexpected(ip.error()));
    auto force = a.boolean("force", false);
    if (!force) return done(std::unexpected(force.error()));
    const core::Allocation* al = nullptr;
    for (auto& [name, p] : ctx_.state.pools()) {
        if (auto u = p.used.find(*ip); u != p.used.end()) {
            al = ctx_.state.find(u->second);
            break;
        }
        if (auto q = p.quarantine.find(*ip); q != p.quarantine.end())
            return done(fail(Code::unknown_container,
                             ip->str() + " is already released and cooling down in pool '" + name +
                                 "' (released by " + log_text(q->second.owner.str()) + ")",
                             "it becomes free when its cooldown ends; nothing to release"));
    }
    if (!al)
        return done(fail(Code::unknown_container, ip->str() + " is not allocated",
                         "warrenctl list shows what is"));

    const int64_t now = ctx_.clock.now_ns();
    if (!*force) {
        const std::string key = al->key.str();
        liveness::AllocationRef ref{key,
                                    al->netns,
                                    al->netns_inode,
                                    al->key.ifname,
                                    al->addresses,
                                    al->host_ifindex,
                                    al->netns_cookie};
        auto pass = ctx_.liveness.check(std::span(&ref, 1));
        const auto& wire = ctx_.gc.last_wire();
        const int64_t after = std::max(al->time_ns, wire.available() ? wire.read_ns() : 0);
        auto live = live_signals(*al, pass.allocations.at(0), after, pass.now_ns);
        if (!live.empty()) {
            std::string why;
            for (auto& s : live) why += (why.empty() ? "" : "; ") + s;
            return done(
                fail(Code::unavailable,
                     "refusing to release " + ip->str() + " of " + log_text(key) + ": " + why,
                     "if the pod is gone for sure, release it with --force (journaled as "
                     "admin-forced)"));
        }
    }
    json result{{"released", json::array()}, {"containerId", al->key.container_id},
                {"ifname", al->key.ifname},  {"network", al->key.network},
                {"forced", *force},          {"quarantineEndsNs", now + ctx_.state.cooldown_ns()}};
    for (auto& x : al->addresses) result["released"].push_back(x.str());
    const auto key = al->key;
    core::Change change;
    ctx_.state.release(key, *force ? core::ReleaseReason::admin_forced : core::ReleaseReason::admin,
                       now, change);
    spdlog::info("admin: releasing {} of {}{}", result["released"].dump(), log_text(key.str()),
                 *force ? " (forced: the liveness veto was skipped)" : "");
    ctx_.service.submit(std::move(change),
                        [done = std::move(done), result = std::move(result)](Status st) mutable {
                            if (!st) return done(std::unexpected(st.error()));
                            done(std::move(result));
                        });
}

void AdminService::gc(const json& args, Done done) {
    Args a("gc", args);
    auto dry = a.boolean("dryRun", false);
    if (!dry) return done(std::unexpected(dry.error()));
    ctx_.gc.run_admin_pass(*dry, [this, done = std::move(done)](Result<service::AdminPass> r) {
        if (!r) return done(std::unexpected(r.error()));
        json decisions = json::array();
        for (auto& d : r->decisions) {
            json j{{"kind", service::decision_kind(d.event)},
                   {"ip", ""},
                   {"containerId", ""},
                   {"reason", service::decision_reason(d.event)},
                   {"why", d.why}};
            std::visit(
                [&](const auto& ev) {
                    using T = std::decay_t<decltype(ev)>;
                    if constexpr (requires { ev.key; }) {
                        j["containerId"] = ev.key.container_id;
                        if (auto h = holding_in(ctx_.state, ev.key); !h.addresses.empty())
                            j["ip"] = h.addresses.front().str();
                    } else if constexpr (std::is_same_v<T, core::QuarantineHeld>) {
                        j["ip"] = ev.address.str();
                    } else if constexpr (std::is_same_v<T, core::QuarantineEnded>) {
                        if (!ev.addresses.empty()) j["ip"] = ev.addresses.front().str();
                    }
                },
                d.event);
            decisions.push_back(std::move(j));
        }
        json conflicts = json::array();
        for (auto& c : r->conflicts)
            conflicts.push_back({{"ip", c.address.str()},
                                 {"kind", core::conflict_kind_name(c.kind)},
                                 {"holder", c.holder}});
        done(json{{"dryRun", r->dry_run},
                  {"ms", r->ms},
                  {"allocations", r->allocations},
                  {"quarantined", r->quarantined},
                  {"decisions", std::move(decisions)},
                  {"conflicts", std::move(conflicts)}});
    });
}

Result<json> AdminService::reload() {
    if (!ctx_.reload)
        return fail(Code::invalid_config, "reload: this warrend has nothing to reload");
    auto r = ctx_.reload();
    if (!r) return std::unexpected(r.error());
    return json{{"summary", *r}};
}

}  // namespace warren::admin
