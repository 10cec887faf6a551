#include "core/ipam_state.hpp"

#include <algorithm>
#include <set>

#include "core/bytes.hpp"

namespace warren::core {

using nlohmann::json;

namespace {

Result<std::vector<RangeSet>> sets_from_json(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return fail(Code::io, "pool definition holds malformed ranges");
    return parse_range_sets(j);
}

void recount(Pool& p) {
    p.used_count.assign(p.sets.size(), 0);
    p.quarantined_count.assign(p.sets.size(), 0);
    for (auto& [a, k] : p.used)
        if (int s = p.set_of(a); s >= 0 && !p.sets[s].empty()) ++p.used_count[s];
    for (auto& [a, t] : p.quarantine)
        if (int s = p.set_of(a); s >= 0) ++p.quarantined_count[s];
}

std::string fmt_seconds(int64_t ns) { return std::to_string(ns / 1'000'000'000) + "s"; }

// What a range of `p` reserves `a` for ("the gateway of 10.1.0.0/24"), or "" when none does.
std::string reserved_as(const Pool& p, const IpAddress& a) {
    for (auto& set : p.sets)
        for (auto& r : set) {
            if (!r.subnet.contains(a)) continue;
            if (a == r.gateway) return "the gateway of " + r.subnet.str();
            if (a == r.subnet.network()) return "the network address of " + r.subnet.str();
            if (a.is_v4() && a == r.subnet.last())
                return "the broadcast address of " + r.subnet.str();
        }
    return {};
}

bool holds_nothing(const Pool& p) {
    return p.used.empty() && p.quarantine.empty();
}

std::string holdings(const Pool& p) {
    if (p.source != PoolSource::cni) return " (a pool from warrend's configuration)";
    return " (from a CNI config; " + std::to_string(p.used.size()) + " address(es) in use, " +
           std::to_string(p.quarantine.size()) + " cooling down)";
}

bool in_sets(const std::vector<RangeSet>& sets, const IpAddress& a) {
    for (auto& s : sets)
        for (auto& r : s)
            if (r.contains(a)) return true;
    return false;
}

std::optional<std::pair<Range, Range>> first_overlap(const std::vector<RangeSet>& mine,
                                                     const std::vector<RangeSet>& theirs) {
    for (auto& so : theirs)
        for (auto& ro : so)
            for (auto& s : mine)
                for (auto& r : s)
                    if (ranges_overlap(r, ro)) return std::pair{r, ro};
    return std::nullopt;
}

}  // namespace

int Pool::set_of(const IpAddress& a) const {
    for (size_t i = 0; i < sets.size(); ++i)
        for (auto& r : sets[i])
            if (r.contains(a) && !r.reserved(a)) return static_cast<int>(i);
    return -1;
}

void Pool::cool(const IpAddress& a, Cooling c) {
    if (!c.owner.network.empty() || !c.owner.container_id.empty() || !c.owner.ifname.empty())
        cooling_by_owner[c.owner].push_back(a);
    auto [it, added] = quarantine.insert_or_assign(a, std::move(c));
    if (int s = set_of(a); added && s >= 0) ++quarantined_count[s];
}

void Pool::uncool(std::unordered_map<IpAddress, Cooling>::iterator it) {
    if (auto o = cooling_by_owner.find(it->second.owner); o != cooling_by_owner.end()) {
        std::erase(o->second, it->first);
        if (o->second.empty()) cooling_by_owner.erase(o);
    }
    if (int s = set_of(it->first); s >= 0) --quarantined_count[s];
    quarantine.erase(it);
}

Status IpamState::push(Change& change, Event e) {
    if (size_t n = encoded_size(e); n > kMaxEventBytes)
        return fail(Code::invalid_config,
                    "the change is too large to journal: " + std::to_string(n) +
                        " bytes, over the limit of " + std::to_string(kMaxEventBytes),
                    "use fewer or shorter ranges");
    auto undo = apply(e);
    if (!undo) return std::unexpected(undo.error());
    change.events.push_back(std::move(e));
    change.undo.push_back(std::move(*undo));
    return {};
}

Status IpamState::replay(const Event& e) {
    auto undo = apply(e);
    if (!undo) return std::unexpected(undo.error());
    return {};
}

Result<Undo> IpamState::apply(const Event& ev) {
    if (auto* e = std::get_if<PoolDefined>(&ev)) {
        auto sets = sets_from_json(e->ranges_json);
        if (!sets) return std::unexpected(sets.error());
        auto it = pools_.find(e->pool);
        if (it == pools_.end()) {
            Pool p;
            p.name = e->pool;
            p.sets = std::move(*sets);
            p.ranges_json = e->ranges_json;
            p.source = e->source;
            p.cursors.resize(p.sets.size());
            recount(p);
            pools_.emplace(e->pool, std::move(p));
            return Undo{[this, name = e->pool] { pools_.erase(name); }};
        }
        Pool& p = it->second;
        auto old_sets = p.sets;
        auto old_json = p.ranges_json;
        auto old_source = p.source;
        auto old_cursors = p.cursors;
        p.sets = std::move(*sets);
        p.ranges_json = e->ranges_json;
        p.source = e->source;
        if (p.cursors.size() != p.sets.size()) p.cursors.assign(p.sets.size(), std::nullopt);
        recount(p);
        return Undo{[this, name = e->pool, old_sets, old_json, old_source, old_cursors] {
            Pool& q = pools_.at(name);
            q.sets = old_sets;
            q.ranges_json = old_json;
            q.source = old_source;
            q.cursors = old_cursors;
            recount(q);
        }};
    }
    if (auto* e = std::get_if<Allocated>(&ev)) {
        auto pit = pools_.find(e->pool);
        if (pit == pools_.end()) return fail(Code::io, "allocation for " + e->key.str() + " names unknown pool " + e->pool);
        if (allocations_.contains(e->key)) return fail(Code::io, "attachment " + e->key.str() + " allocated twice");
        Pool& p = pit->second;
        for (auto& a : e->addresses) {
            if (auto u = p.used.find(a); u != p.used.end())
                return fail(Code::io, "address " + a.str() + " allocated to " + e->key.str() +
                                          " is already held by " + u->second.str());
        }
        auto old_cursors = p.cursors;
        std::vector<std::pair<IpAddress, Cooling>> unquarantined;
        for (auto& a : e->addresses) {
            p.used.emplace(a, e->key);
            int s = p.set_of(a);
            if (auto q = p.quarantine.find(a); q != p.quarantine.end()) {
                unquarantined.emplace_back(a, q->second);
                p.uncool(q);
            }
            if (s >= 0) {
                ++p.used_count[s];
                p.cursors[s] = a;
            }
        }
        allocations_.emplace(
            e->key, Allocation{e->key, e->pool, e->addresses, e->netns, e->netns_inode, e->pod,
                               e->time_ns, std::nullopt, e->netns_cookie});
        return Undo{[this, key = e->key, old_cursors = std::move(old_cursors), unquarantined = std::move(unquarantined)] {
            auto it = allocations_.find(key);
            Pool& q = pools_.at(it->second.pool);
            for (auto& a : it->second.addresses) q.used.erase(a);
            for (auto& [a, c] : unquarantined) q.cool(a, c);
            q.cursors = old_cursors;
            recount(q);
            allocations_.erase(it);
        }};
    }
    if (auto* e = std::get_if<Released>(&ev)) {
        auto it = allocations_.find(e->key);
        if (it == allocations_.end()) return Undo{[] {}};
        Allocation old = it->second;
        Pool& p = pools_.at(old.pool);
        for (auto& a : old.addresses) {
            p.used.erase(a);
            int s = p.set_of(a);
            if (s >= 0) --p.used_count[s];
            if (cooldown_ns_ > 0) p.cool(a, Cooling{e->time_ns, old.key});
        }
        allocations_.erase(it);
        return Undo{[this, old] {
            Pool& q = pools_.at(old.pool);
            for (auto& a : old.addresses) {
                if (auto c = q.quarantine.find(a); c != q.quarantine.end()) q.uncool(c);
                q.used.emplace(a, old.key);
            }
            recount(q);
            allocations_.emplace(old.key, old);
        }};
    }
    if (auto* e = std::get_if<QuarantineEnded>(&ev)) {
        auto pit = pools_.find(e->pool);
        if (pit == pools_.end()) return Undo{[] {}};
        Pool& p = pit->second;
        std::vector<std::pair<IpAddress, Cooling>> ended;
        for (auto& a : e->addresses) {
            if (auto q = p.quarantine.find(a); q != p.quarantine.end()) {
                ended.emplace_back(a, q->second);
                p.uncool(q);
            }
        }
        return Undo{[this, name = e->pool, ended = std::move(ended)] {
            Pool& q = pools_.at(name);
            for (auto& [a, c] : ended) q.cool(a, c);
        }};
    }
    if (auto* e = std::get_if<CursorAt>(&ev)) {
        auto pit = pools_.find(e->pool);
        if (pit == pools_.end() || e->set_index >= pit->second.cursors.size()) return Undo{[] {}};
        auto old = pit->second.cursors[e->set_index];
        pit->second.cursors[e->set_index] = e->address;
        return Undo{[this, name = e->pool, i = e->set_index, old] { pools_.at(name).cursors[i] = old; }};
    }
    if (auto* e = std::get_if<Quarantined>(&ev)) {
        auto pit = pools_.find(e->pool);
        if (pit == pools_.end()) return fail(Code::io, "quarantine entry names unknown pool " + e->pool);
        Pool& p = pit->second;
        if (p.used.contains(e->address))
            return fail(Code::io,
                        "address " + e->address.str() + " is both in use and cooling down");
        if (auto q = p.quarantine.find(e->address); q != p.quarantine.end()) p.uncool(q);
        p.cool(e->address, Cooling{e->since_ns, e->owner});
        return Undo{[this, name = e->pool, a = e->address] {
            Pool& q = pools_.at(name);
            if (auto c = q.quarantine.find(a); c != q.quarantine.end()) q.uncool(c);
        }};
    }
    if (auto* e = std::get_if<PoolRemoved>(&ev)) {
        auto pit = pools_.find(e->pool);
        if (pit == pools_.end()) return fail(Code::io, "removal of unknown pool " + e->pool);
        if (!holds_nothing(pit->second))
            return fail(Code::io, "removal of pool " + e->pool + " which still holds addresses");
        Pool old = std::move(pit->second);
        pools_.erase(pit);
        return Undo{[this, old = std::move(old)] { pools_.emplace(old.name, old); }};
    }
    return apply_gc(ev);
}

Result<Undo> IpamState::apply_gc(const Event& ev) {
    if (auto* e = std::get_if<QuarantineHeld>(&ev)) {
        auto pit = pools_.find(e->pool);
        if (pit == pools_.end())
            return fail(Code::io, "quarantine hold names unknown pool " + e->pool);
        auto q = pit->second.quarantine.find(e->address);
        if (q == pit->second.quarantine.end())
            return fail(Code::io,
                        "quarantine hold of " + e->address.str() + " which is not cooling down");
        auto old = q->second.held_seen_ns;
        q->second.held_seen_ns = e->seen_ns;
        return Undo{[this, name = e->pool, a = e->address, old] {
            pools_.at(name).quarantine.at(a).held_seen_ns = old;
        }};
    }
    if (auto* e = std::get_if<HostLinkLearned>(&ev)) {
        auto it = allocations_.find(e->key);
        if (it == allocations_.end())
            return fail(Code::io, "host link learned for " + e->key.str() + " which holds nothing");
        Allocation& a = it->second;
        const int old_ifindex = a.host_ifindex;
        const uint64_t old_cookie = a.netns_cookie;
        if (e->host_ifindex) a.host_ifindex = e->host_ifindex;
        if (e->netns_cookie) a.netns_cookie = e->netns_cookie;
        return Undo{[this, k = e->key, old_ifindex, old_cookie] {
            Allocation& b = allocations_.at(k);
            b.host_ifindex = old_ifindex;
            b.netns_cookie = old_cookie;
        }};
    }
    const AttachmentKey* key = nullptr;
    if (auto* e = std::get_if<CandidateMarked>(&ev)) key = &e->key;
    if (auto* e = std::get_if<CandidateCleared>(&ev)) key = &e->key;
    if (auto* e = std::get_if<ZombieMarked>(&ev)) key = &e->key;
    if (!key) return fail(Code::internal, "unhandled event");
    auto it = allocations_.find(*key);
    if (it == allocations_.end())
        return fail(Code::io, "GC decision for " + key->str() + " which holds nothing");
    std::optional<Candidate>& c = it->second.candidate;
    auto old = c;
    if (auto* e = std::get_if<CandidateMarked>(&ev)) {
        c = Candidate{e->since_ns, e->reason, std::nullopt};
    } else if (std::holds_alternative<CandidateCleared>(ev)) {
        c.reset();
    } else {
        auto& z = std::get<ZombieMarked>(ev);
        if (!c) return fail(Code::io, "zombie " + key->str() + " that is not a stale candidate");
        c->zombie = Zombie{z.reason, z.since_ns};
    }
    return Undo{[this, k = *key, old] { allocations_.at(k).candidate = old; }};
}

Status IpamState::make_room(const std::string& name, const std::vector<RangeSet>& sets,
                            Change& change) {
    std::vector<std::string> idle;
    for (auto& [other, p] : pools_) {
        if (other == name) continue;
        if (auto clash = first_overlap(sets, p.sets)) {
            if (p.source == PoolSource::cni && holds_nothing(p)) {
                idle.push_back(other);
                continue;
            }
            std::string hint =
                "two pools must never share addresses; give this network non-overlapping ranges or "
                "name the existing pool with 'pool'";
            if (p.source == PoolSource::cni)
                hint +=
                    "; a pool from a CNI config stops blocking its ranges once nothing is "
                    "allocated or cooling down in it";
            return fail(Code::invalid_config,
                        "ranges of pool '" + name + "' (" + describe({clash->first}) +
                            ") overlap pool '" + other + "' (" + describe({clash->second}) + ")" +
                            holdings(p),
                        hint);
        }
        // Addresses the other pool still holds outside its current ranges (it was redefined).
        for (auto& [a, k] : p.used)
            if (in_sets(sets, a))
                return fail(
                    Code::invalid_config,
                    "ranges of pool '" + name + "' hold " + a.str() + ", still allocated to " +
                        k.str() + " from pool '" + other + "'",
                    "wait until that attachment is deleted, or give this network other ranges");
        for (auto& [a, c] : p.quarantine)
            if (in_sets(sets, a))
                return fail(Code::invalid_config,
                            "ranges of pool '" + name + "' hold " + a.str() +
                                ", still cooling down in pool '" + other + "'",
                            "wait for the cooldown (" + fmt_seconds(cooldown_ns_) +
                                ") to end or give this network other ranges");
    }
    for (auto& other : idle)
        if (auto s = push(change, PoolRemoved{other}); !s) return s;
    return {};
}

Status IpamState::redefine(Pool& p, const std::vector<RangeSet>& sets, std::string text,
                           const std::string& network, Change& change) {
    if (auto s = make_room(p.name, sets, change); !s) return s;
    const std::string old = p.ranges_json;
    const std::string name = p.name;
    if (auto s = push(change, PoolDefined{name, std::move(text), PoolSource::cni}); !s) return s;
    const Pool& now = pools_.at(name);
    std::vector<std::string> outside;
    for (auto& [a, k] : now.used)
        if (now.set_of(a) < 0) outside.push_back(k.str() + " (" + a.str() + ")");
    std::sort(outside.begin(), outside.end());
    std::string w = "pool '" + name + "' redefined by network '" + network + "' from " + old +
                    " to " + now.ranges_json;
    if (!outside.empty()) {
        w += "; " + std::to_string(outside.size()) +
             " allocation(s) outside the new ranges keep their addresses until released:";
        for (size_t i = 0; i < outside.size() && i < 20; ++i) w += " " + outside[i];
        if (outside.size() > 20) w += " ...";
    }
    change.warnings.push_back(std::move(w));
    return {};
}

Result<Change> IpamState::define_pool(const std::string& name, const std::vector<RangeSet>& sets,
                                      PoolSource source) {
    Change change;
    std::string text = to_json(sets).dump();
    auto it = pools_.find(name);
    if (it != pools_.end() && it->second.ranges_json == text && it->second.source == source) return change;
    if (auto s = make_room(name, sets, change); !s) return std::unexpected(s.error());
    if (auto s = push(change, PoolDefined{name, text, source}); !s) return std::unexpected(s.error());
    return change;
}

Result<Pool*> IpamState::resolve_pool(const AddRequest& req, Change& change) {
    if (req.ranges) {
        const std::vector<RangeSet>* sets = &*req.ranges;
        std::string name = req.pool.value_or(req.key.network);
        std::string text = to_json(*sets).dump();
        auto it = pools_.find(name);
        if (it != pools_.end()) {
            if (it->second.ranges_json == text) return &it->second;
            if (it->second.source != PoolSource::cni)
                return fail(Code::invalid_config,
                            "network '" + req.key.network + "' asks for ranges " + text +
                                " but pool '" + name +
                                "' is defined by warrend's configuration with " +
                                it->second.ranges_json,
                            "a CNI config cannot change a pool of warrend's configuration; drop "
                            "'ranges' to use it as configured, or name another pool");
            if (auto s = redefine(it->second, *sets, std::move(text), req.key.network, change); !s)
                return std::unexpected(s.error());
            return &pools_.at(name);
        }
        if (auto s = make_room(name, *sets, change); !s) return std::unexpected(s.error());
        if (auto s = push(change, PoolDefined{name, text, PoolSource::cni}); !s) return std::unexpected(s.error());
        return &pools_.at(name);
    }
    std::string name = req.pool.value_or("default");
    auto it = pools_.find(name);
    if (it == pools_.end()) {
        std::string known;
        for (auto& [n, p] : pools_) known += (known.empty() ? "" : ", ") + n;
        return fail(Code::invalid_config,
                    "unknown pool '" + name + "' (warrend has: " + (known.empty() ? "none" : known) + ")",
                    "start warrend with --pod-cidr, define the pool in its config, or give 'ranges' "
                    "in the CNI ipam config");
    }
    return &it->second;
}

std::string IpamState::exhausted_message(const Pool& p, size_t set) const {
    return "pool '" + p.name + "' has no free address in range set " + describe(p.sets[set]) + ": " +
           u128_str(core::usable(p.sets[set])) + " usable, " + u128_str(p.used_count[set]) + " in use, " +
           u128_str(p.quarantined_count[set]) + " cooling down (cooldown " + fmt_seconds(cooldown_ns_) + ")";
}

Result<IpAddress> IpamState::pick(Pool& p, size_t si, const std::optional<IpAddress>& requested,
                                  const AttachmentKey& key) const {
    const RangeSet& set = p.sets[si];
    if (requested) {
        const IpAddress& a = *requested;
        bool in_range = std::any_of(set.begin(), set.end(), [&](const Range& r) { return r.contains(a); });
        if (!in_range || p.set_of(a) != static_cast<int>(si))
            return fail(Code::address_unavailable,
                        "requested address " + a.str() + " is not assignable in range set " + describe(set) +
                            " of pool '" + p.name + "'");
        if (auto u = p.used.find(a); u != p.used.end() && !(u->second == key))
            return fail(Code::address_unavailable,
                        "requested address " + a.str() + " is held by " + u->second.str());
        if (auto q = p.quarantine.find(a); q != p.quarantine.end() && !(q->second.owner == key))
            return fail(Code::address_unavailable,
                        "requested address " + a.str() +
                            " was released recently and is cooling down (" +
                            fmt_seconds(cooldown_ns_) +
                            "); only the attachment that released it may take it back before then");
        return a;
    }
    // An attachment coming back (a network reload, a restart) gets the address it released
    // last.
    if (auto own = p.cooling_by_owner.find(key); own != p.cooling_by_owner.end())
        for (auto a = own->second.rbegin(); a != own->second.rend(); ++a)
            if (p.set_of(*a) == static_cast<int>(si)) return *a;
    if (p.used_count[si] + p.quarantined_count[si] >= core::usable(set))
        return fail(Code::pool_exhausted, exhausted_message(p, si));

    size_t ri = 0;
    IpAddress a = set[0].start;
    if (auto& c = p.cursors[si]) {
        for (size_t i = 0; i < set.size(); ++i)
            if (set[i].contains(*c)) {
                ri = i;
                a = *c;
                if (a == set[ri].end) {
                    ri = (ri + 1) % set.size();
                    a = set[ri].start;
                } else {
                    a = a.next();
                }
                break;
            }
    }
    const size_t start_ri = ri;
    const IpAddress start_a = a;
    do {
        if (!set[ri].reserved(a) && !p.used.contains(a) && !p.quarantine.contains(a)) return a;
        if (a == set[ri].end) {
            ri = (ri + 1) % set.size();
            a = set[ri].start;
        } else {
            a = a.next();
        }
    } while (!(ri == start_ri && a == start_a));
    return fail(Code::pool_exhausted, exhausted_message(p, si));
}

Result<const Allocation*> IpamState::add(AddRequest req, int64_t now_ns, Change& change) {
    if (auto it = allocations_.find(req.key); it != allocations_.end()) {
        // The runtime's GC left it out, and now it ADDs it again: it is alive after all.
        if (it->second.candidate && it->second.candidate->reason == GcReason::cni_gc)
            if (auto s = push(change, CandidateCleared{req.key, GcReason::readded}); !s)
                return std::unexpected(s.error());
        return &it->second;
    }
    const std::pair<const char*, const std::string*> names[] = {
        {"network name", &req.key.network},  {"container ID", &req.key.container_id},
        {"interface name", &req.key.ifname}, {"pool name", req.pool ? &*req.pool : nullptr},
        {"netns path", &req.netns},          {"pod namespace", &req.pod.namespace_},
        {"pod name", &req.pod.name},         {"pod UID", &req.pod.uid}};
    for (auto [what, v] : names)
        if (v && v->size() > kMaxNameBytes)
            return fail(Code::invalid_config, std::string("the ") + what + " is " +
                                                  std::to_string(v->size()) +
                                                  " bytes long; warrend accepts at most " +
                                                  std::to_string(kMaxNameBytes));
    auto pool = resolve_pool(req, change);
    if (!pool) return std::unexpected(pool.error());
    Pool& p = **pool;

    std::vector<std::optional<IpAddress>> wanted(p.sets.size());
    for (auto& a : req.requested) {
        int s = p.set_of(a);
        if (auto why = reserved_as(p, a); s < 0 && !why.empty())
            return fail(Code::address_unavailable,
                        "requested address " + a.str() + " is " + why + " of pool '" + p.name +
                            "' and is never given to a container",
                        "request another address, or none to get a free one");
        if (s < 0)
            return fail(Code::address_unavailable,
                        "requested address " + a.str() + " is not assignable in pool '" + p.name + "'");
        if (wanted[s])
            return fail(Code::address_unavailable, "requested addresses " + wanted[s]->str() + " and " +
                                                       a.str() + " fall in the same range set");
        wanted[s] = a;
    }
    Allocated ev;
    ev.pool = p.name;
    ev.netns_inode = req.netns_inode;
    ev.netns_cookie = req.netns_cookie;
    ev.time_ns = now_ns;
    for (size_t s = 0; s < p.sets.size(); ++s) {
        auto a = pick(p, s, wanted[s], req.key);
        if (!a) return std::unexpected(a.error());
        ev.addresses.push_back(*a);
    }
    ev.key = std::move(req.key);
    ev.netns = std::move(req.netns);
    ev.pod = std::move(req.pod);
    if (auto s = push(change, std::move(ev)); !s) return std::unexpected(s.error());
    return &allocations_.at(std::get<Allocated>(change.events.back()).key);
}

Result<const Allocation*> IpamState::adopt(const std::string& pool, const AttachmentKey& key,
                                           std::vector<IpAddress> addresses, int64_t now_ns,
                                           Change& change) {
    auto pit = pools_.find(pool);
    if (pit == pools_.end()) return fail(Code::unknown_container, "no pool '" + pool + "'");
    const Pool& p = pit->second;
    if (auto* a = find(key))
        return fail(Code::invalid_config,
                    key.str() + " already holds addresses in pool '" + a->pool + "'");
    if (addresses.empty()) return fail(Code::invalid_config, "nothing to adopt for " + key.str());
    for (auto* s : {&key.network, &key.container_id, &key.ifname})
        if (s->size() > kMaxNameBytes)
            return fail(Code::invalid_config, "a name of " + key.str().substr(0, 64) +
                                                  "... is longer than " +
                                                  std::to_string(kMaxNameBytes) + " bytes");
    std::vector<std::optional<IpAddress>> by_set(p.sets.size());
    for (auto& a : addresses) {
        const int s = p.set_of(a);
        if (s < 0) {
            const auto why = reserved_as(p, a);
            return fail(Code::address_unavailable,
                        a.str() + " is " +
                            (why.empty() ? "out of range of pool '" + p.name + "'"
                                         : why + " of pool '" + p.name + "'"));
        }
        if (auto u = p.used.find(a); u != p.used.end())
            return fail(Code::address_unavailable, a.str() + " is held by " + u->second.str());
        if (p.quarantine.contains(a))
            return fail(Code::address_unavailable,
                        a.str() + " is cooling down in pool '" + p.name + "'");
        if (by_set[s])
            return fail(Code::address_unavailable, a.str() + " and " + by_set[s]->str() +
                                                       " fall in the same range set of pool '" +
                                                       p.name + "'");
        by_set[s] = a;
    }
    Allocated ev{key, pool, {}, {}, 0, {}, now_ns};
    for (auto& a : by_set)
        if (a) ev.addresses.push_back(*a);  // in range-set order
    if (auto st = push(change, std::move(ev)); !st) return std::unexpected(st.error());
    return &allocations_.at(key);
}

Status IpamState::move_cursor(const std::string& pool, const IpAddress& address, Change& change) {
    auto pit = pools_.find(pool);
    if (pit == pools_.end()) return fail(Code::unknown_container, "no pool '" + pool + "'");
    const int s = pit->second.set_of(address);
    if (s < 0)
        return fail(Code::address_unavailable,
                    address.str() + " is out of range of pool '" + pool + "'");
    return push(change, CursorAt{pool, static_cast<uint64_t>(s), address});
}

void IpamState::release(const AttachmentKey& key, ReleaseReason reason, int64_t now_ns, Change& change) {
    if (!allocations_.contains(key)) return;
    (void)push(change, Released{key, now_ns, reason});
}

size_t IpamState::gc(const std::string& network,
                     const std::vector<std::pair<std::string, std::string>>& valid, int64_t now_ns,
                     Change& change) {
    std::set<std::pair<std::string, std::string>> keep(valid.begin(), valid.end());
    std::vector<AttachmentKey> marked, listed;
    for (auto& [k, a] : allocations_) {
        if (k.network != network) continue;
        const bool kept = keep.contains({k.container_id, k.ifname});
        if (!kept && !a.candidate) marked.push_back(k);
        if (kept && a.candidate && a.candidate->reason == GcReason::cni_gc) listed.push_back(k);
    }
    auto by_name = [](auto& a, auto& b) { return a.str() < b.str(); };
    std::sort(marked.begin(), marked.end(), by_name);
    std::sort(listed.begin(), listed.end(), by_name);
    for (auto& k : listed) (void)push(change, CandidateCleared{k, GcReason::listed});
    for (auto& k : marked) (void)push(change, CandidateMarked{k, now_ns, GcReason::cni_gc});
    return marked.size();
}

Status IpamState::record(const Decision& d, Change& change) {
    return push(change, d.event);
}

Status IpamState::learn_host_link(const AttachmentKey& key, int host_ifindex, uint64_t netns_cookie,
                                  Change& change) {
    auto it = allocations_.find(key);
    if (it == allocations_.end()) return {};
    const Allocation& a = it->second;
    HostLinkLearned ev{key, host_ifindex != a.host_ifindex ? host_ifindex : 0,
                       a.netns_cookie == 0 ? netns_cookie : 0};
    if (ev.host_ifindex == 0 && ev.netns_cookie == 0) return {};
    return push(change, std::move(ev));
}

QuarantineCounts IpamState::quarantine_decisions(int64_t now_ns, const Wire& wire,
                                                 std::vector<Decision>& out,
                                                 const OnConflict& on_conflict) const {
    QuarantineCounts n;
    const bool watching = wire.available();
    std::vector<IpAddress> ended;
    for (auto& [name, p] : pools_) {
        ended.clear();
        n.quarantined += p.quarantine.size();
        for (auto& [a, c] : p.quarantine) {
            const std::optional<Sighting> s = watching ? wire.seen(a) : std::nullopt;
            const bool sent = s && s->last_seen_ns >= c.since_ns;  // after its release
            if (on_conflict && s && s->two_links) on_conflict(a, ConflictKind::two_links, name);
            if (on_conflict && sent) on_conflict(a, ConflictKind::quarantine_traffic, name);
            int64_t rest_from = std::max(c.since_ns, c.held_seen_ns.value_or(c.since_ns));
            if (sent) rest_from = std::max(rest_from, s->last_seen_ns);
            if (rest_from <= now_ns - cooldown_ns_) {
                ended.push_back(a);
                continue;
            }
            if (!c.held_seen_ns && !sent) continue;
            ++n.held;
            if (!c.held_seen_ns)
                out.push_back({QuarantineHeld{name, a, s->last_seen_ns},
                               "address " + a.str() + " of pool '" + name +
                                   "' stays quarantined: the wire saw it " +
                                   fmt_seconds(now_ns - s->last_seen_ns) +
                                   " ago, after its release " + fmt_seconds(now_ns - c.since_ns) +
                                   " ago (a zombie; conflict)"});
        }
        if (ended.empty()) continue;
        std::sort(ended.begin(), ended.end());
        n.ended += ended.size();
        // Several events when there are many, each within a journal record.
        const size_t room =
            (kMaxEventBytes - encoded_size(QuarantineEnded{name, {}})) / ByteReader::kAddrBytes;
        const size_t per_event = std::clamp<size_t>(room, 1, kSweepChunk);
        for (size_t i = 0; i < ended.size(); i += per_event) {
            QuarantineEnded ev{
                name, {ended.begin() + i, ended.begin() + std::min(ended.size(), i + per_event)}};
            std::string why = "quarantine ended for " + std::to_string(ev.addresses.size()) +
                              " address(es) of pool '" + name + "' after a full cooldown (" +
                              fmt_seconds(cooldown_ns_) + ") with no traffic from them" +
                              (watching ? "" : " (wire signal off: release time only)") + ":";
            for (size_t k = 0; k < ev.addresses.size() && k < 8; ++k)
                why += " " + ev.addresses[k].str();
            if (ev.addresses.size() > 8) why += " ...";
            out.push_back({std::move(ev), std::move(why)});
        }
    }
    return n;
}

size_t IpamState::sweep_quarantine(int64_t now_ns, Change& change, const Wire& wire) {
    std::vector<Decision> decided;
    const QuarantineCounts n = quarantine_decisions(now_ns, wire, decided);
    for (auto& d : decided) (void)record(d, change);
    return n.ended;
}

Status IpamState::check(const AttachmentKey& key, const std::vector<IpAddress>& expected) const {
    auto it = allocations_.find(key);
    if (it == allocations_.end())
        return fail(Code::unknown_container, "warren holds no addresses for " + key.str());
    for (auto& a : expected)
        if (std::find(it->second.addresses.begin(), it->second.addresses.end(), a) == it->second.addresses.end())
            return fail(Code::check_failed, "address " + a.str() + " is not reserved for " + key.str());
    return {};
}

Status IpamState::status(const std::optional<std::string>& pool,
                         const std::optional<std::vector<RangeSet>>& ranges,
                         const std::string& network) const {
    std::string name = pool.value_or(ranges ? network : "default");
    auto it = pools_.find(name);
    if (ranges) {
        const std::vector<RangeSet>* sets = &*ranges;
        // New or changed ranges: the next ADD (re)defines the pool.
        if (it == pools_.end() || (it->second.source == PoolSource::cni &&
                                   it->second.ranges_json != to_json(*sets).dump()))
            return {};
    }
    if (it == pools_.end()) return fail(Code::unavailable, "unknown pool '" + name + "'");
    const Pool& p = it->second;
    for (size_t s = 0; s < p.sets.size(); ++s)
        if (p.used_count[s] + p.quarantined_count[s] >= core::usable(p.sets[s]))
            return fail(Code::unavailable, exhausted_message(p, s));
    return {};
}

const Allocation* IpamState::find(const AttachmentKey& key) const {
    auto it = allocations_.find(key);
    return it == allocations_.end() ? nullptr : &it->second;
}

const Pool* IpamState::pool(const std::string& name) const {
    auto it = pools_.find(name);
    return it == pools_.end() ? nullptr : &it->second;
}

std::vector<PoolUsage> IpamState::usage() const {
    std::vector<PoolUsage> out;
    for (auto& [name, p] : pools_) {
        PoolUsage u{name, {}};
        for (size_t s = 0; s < p.sets.size(); ++s)
            u.sets.push_back({describe(p.sets[s]), core::usable(p.sets[s]), p.used_count[s], p.quarantined_count[s]});
        out.push_back(std::move(u));
    }
    return out;
}

std::string IpamState::gateway_for(const Pool& p, const IpAddress& a, int* prefix_len) const {
    for (auto& set : p.sets)
        for (auto& r : set)
            if (r.subnet.contains(a)) {
                *prefix_len = r.subnet.length();
                return r.gateway.str();
            }
    *prefix_len = a.bits();
    return {};
}

std::vector<Event> IpamState::snapshot_events() const {
    std::vector<Event> out;
    for (auto& [name, p] : pools_) {
        out.push_back(PoolDefined{name, p.ranges_json, p.source});
        for (auto& [a, c] : p.quarantine) {
            out.push_back(Quarantined{name, a, c.since_ns, c.owner});
            if (c.held_seen_ns) out.push_back(QuarantineHeld{name, a, *c.held_seen_ns});
        }
    }
    for (auto& [k, a] : allocations_) {
        out.push_back(Allocated{a.key, a.pool, a.addresses, a.netns, a.netns_inode, a.pod,
                                a.time_ns, a.netns_cookie});
        if (a.host_ifindex) out.push_back(HostLinkLearned{k, a.host_ifindex, 0});
        if (!a.candidate) continue;
        out.push_back(CandidateMarked{k, a.candidate->since_ns, a.candidate->reason});
        if (auto& z = a.candidate->zombie) out.push_back(ZombieMarked{k, z->since_ns, z->reason});
    }
    // Cursors last: replaying an allocation moves its set's cursor.
    for (auto& [name, p] : pools_)
        for (size_t s = 0; s < p.cursors.size(); ++s)
            if (p.cursors[s]) out.push_back(CursorAt{name, s, *p.cursors[s]});
    return out;
}

}  // namespace warren::core
