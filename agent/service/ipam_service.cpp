#include "service/ipam_service.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "journal/codec.hpp"
#include "warren/log_text.hpp"

namespace warren::service {

static_assert(core::kMaxEventBytes == journal::kMaxRecordPayload,
              "every event the state makes must fit a record");

namespace {

uint64_t stat_inode(const std::string& path) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return 0;
    return st.st_ino;
}

// The pool a request without its own pool name would use (as IpamState resolves it).
std::string_view pool_of(const proto::Request& req, const std::string& network) {
    if (req.pool) return *req.pool;
    return req.ranges ? std::string_view(network) : std::string_view("default");
}

Result<std::vector<IpAddress>> parse_ips(const std::vector<std::string>& in) {
    std::vector<IpAddress> out;
    for (auto& s : in) {
        auto a = IpAddress::parse(s.substr(0, s.find('/')));
        if (!a) return fail(Code::invalid_config, "invalid IP address '" + s + "' in request");
        out.push_back(*a);
    }
    return out;
}

}  // namespace

IpamService::IpamService(boost::asio::io_context& io, core::IpamState& state, CommitSink& sink,
                         const core::Clock& clock, uint64_t next_seq, Options opts, InodeOf inode_of)
    : io_(io),
      state_(state),
      sink_(sink),
      clock_(clock),
      opts_(opts),
      inode_of_(inode_of ? std::move(inode_of) : InodeOf(stat_inode)),
      next_seq_(next_seq),
      durable_seq_(next_seq - 1),
      bytes_since_snapshot_(opts.journal_bytes_at_start) {
    batched_wake_ = sink_.on_batch_end([this] { wake_drain(); });
}

IpamService::~IpamService() {
    if (batched_wake_) sink_.on_batch_end({});
}

proto::Response IpamService::ips_response(const core::Allocation& a) const {
    proto::Response r;
    r.ok = true;
    const core::Pool* p = state_.pool(a.pool);
    for (auto& addr : a.addresses) {
        int len = addr.bits();
        std::string gw = p ? state_.gateway_for(*p, addr, &len) : std::string{};
        r.ips.push_back({cidr_string(addr, len), gw});
    }
    return r;
}

proto::Response IpamService::decide(proto::Request& req, core::Change& change) {
    using proto::Op;
    const int64_t now = clock_.now_ns();
    core::AttachmentKey key{std::move(req.network), std::move(req.container_id), std::move(req.ifname)};
    switch (req.op) {
        case Op::ping: return proto::Response{true};
        case Op::add: {
            auto requested = parse_ips(req.ips);
            if (!requested) return proto::Response::failure(requested.error());
            const bool held = state_.find(key) != nullptr;
            // The pool an ADD allocates from: the zone's, else the pod's ask, else the config's
            // (ipam.pool or ranges). A pool so named is the agent's: the ranges do not apply.
            std::optional<std::string> zone_pool;
            if (zone_gate_ && !held) {
                std::swap(req.network, key.network);  // the gate names the network's ranges' pool
                auto zone = zone_gate_(req);
                std::swap(req.network, key.network);
                if (!zone) return proto::Response::failure(zone.error());
                zone_pool = std::move(*zone);
            }
            std::optional<std::string> pool =
                zone_pool ? std::move(zone_pool) : std::move(req.requested_pool);
            if (pool) {
                req.pool = std::move(pool);
                req.ranges.reset();
            }
            if (pool_gate_ && !held)
                if (auto s = pool_gate_(pool_of(req, key.network)); !s)
                    return proto::Response::failure(s.error());
            auto ranges = core::parse_optional_range_sets(req.ranges);
            // A repeated ADD gets what the key holds, whatever ranges it names (as the core does).
            if (!ranges && !held) return proto::Response::failure(ranges.error());
            const uint64_t inode = req.netns_inode ? req.netns_inode : inode_of_(req.netns);
            core::AddRequest ar{
                std::move(key),
                std::move(req.pool),
                ranges ? std::move(*ranges) : std::nullopt,
                std::move(*requested),
                std::move(req.netns),
                inode,
                {std::move(req.pod.namespace_), std::move(req.pod.name), std::move(req.pod.uid)},
                req.netns_cookie};
            auto a = state_.add(std::move(ar), now, change);
            for (auto& w : change.warnings) spdlog::warn("{}", w);
            if (!a) return proto::Response::failure(a.error());
            if (change.empty()) readded_[(*a)->key] = now;
            if (on_allocated_) on_allocated_(**a);
            if (!change.empty() && spdlog::should_log(spdlog::level::debug)) {
                std::string list;
                for (auto& x : (*a)->addresses) {
                    if (!list.empty()) list += ',';
                    list += x.str();
                }
                spdlog::debug("add {} -> {}", log_text((*a)->key.str()), list);
            }
            return ips_response(**a);
        }
        case Op::del:
            readded_.erase(key);
            state_.release(key, core::ReleaseReason::del, now, change);
            // Runtimes send a DEL after every failed ADD: say when there was nothing to release.
            if (spdlog::should_log(spdlog::level::debug))
                spdlog::debug("del {}{}", log_text(key.str()), change.empty() ? ": nothing held" : "");
            return proto::Response{true};
        case Op::check: {
            auto ips = parse_ips(req.ips);
            if (!ips) return proto::Response::failure(ips.error());
            if (auto s = state_.check(key, *ips); !s) return proto::Response::failure(s.error());
            return proto::Response{true};
        }
        case Op::gc: {
            std::vector<std::pair<std::string, std::string>> valid;
            for (auto& a : req.valid_attachments) valid.emplace_back(a.container_id, a.ifname);
            // Candidates only: the runtime's list may be incomplete (containernetworking/cni
            // #1086); the GC policy releases them when dead on every signal.
            size_t n = state_.gc(key.network, valid, now, change);
            if (n)
                spdlog::info(
                    "gc of network {}: {} attachment(s) not in the runtime's list are stale "
                    "candidates, released once dead on every signal",
                    log_text(key.network), n);
            return proto::Response{true};
        }
        case Op::status: {
            if (pool_gate_)
                if (auto s = pool_gate_(pool_of(req, key.network)); !s)
                    return proto::Response::failure(s.error());
            auto ranges = core::parse_optional_range_sets(req.ranges);
            if (!ranges) return proto::Response::failure(ranges.error());
            if (auto s = state_.status(req.pool, *ranges, key.network); !s) {
                auto e = s.error();
                if (e.code != Code::invalid_config) e.code = Code::unavailable;
                return proto::Response::failure(e);
            }
            return proto::Response{true};
        }
    }
    return proto::Response::failure(Error{Code::internal, "unhandled op"});
}

void IpamService::handle(proto::Request req, Reply reply) {
    const bool debug = spdlog::should_log(spdlog::level::debug);
    const std::string what = debug ? fmt::format("{} {}", proto::op_name(req.op),
                                                 log_text(req.network + "/" + req.container_id + "/" + req.ifname))
                                   : std::string{};
    core::Change change;
    const auto op = req.op;
    const auto t0 = on_answered_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    auto resp = decide(req, change);
    if (!resp.ok && debug) spdlog::debug("{} failed: {}", what, log_text(resp.msg));
    submit(std::move(change), [this, op, t0, reply = std::move(reply), resp = std::move(resp)](Status st) mutable {
        reply(st ? std::move(resp) : proto::Response::failure(st.error()));
        if (on_answered_)
            on_answered_(op, std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
                                 .count());
    });
}

void IpamService::define_pool(const std::string& name, const std::vector<core::RangeSet>& sets,
                              core::PoolSource source, Done done) {
    if (auto* existing = state_.pool(name); existing && existing->ranges_json != core::to_json(sets).dump())
        spdlog::warn("pool '{}' changes from {} to {}; existing allocations are kept", name, existing->ranges_json,
                     core::to_json(sets).dump());
    auto change = state_.define_pool(name, sets, source);
    if (!change) {
        if (done) done(std::unexpected(change.error()));
        return;
    }
    submit(std::move(*change), std::move(done));
}

IpamService::QueuedDelete IpamService::apply_queued_delete(const proto::Request& req,
                                                           int64_t enqueued_unix_ns,
                                                           std::function<void(bool)> done) {
    core::AttachmentKey key{req.network, req.container_id, req.ifname};
    core::Change change;
    const core::Allocation* a = state_.find(key);
    auto readded = readded_.find(key);
    const bool added_since = a && (a->time_ns > enqueued_unix_ns ||
                                   (readded != readded_.end() && readded->second > enqueued_unix_ns));
    auto outcome = QueuedDelete::nothing_held;
    if (added_since) {
        spdlog::info("skipping queued DEL for {}: it was allocated again after the DEL was queued",
                     log_text(key.str()));
        outcome = QueuedDelete::superseded;
    } else if (a) {
        readded_.erase(key);
        state_.release(key, core::ReleaseReason::queued_del, clock_.now_ns(), change);
        spdlog::info("applied queued DEL for {}", log_text(key.str()));
        outcome = QueuedDelete::released;
    }
    submit(std::move(change), [done = std::move(done)](Status st) { done(st.has_value()); });
    return outcome;
}

void IpamService::sweep_quarantine() {
    core::Change change;
    state_.sweep_quarantine(clock_.now_ns(), change);
    if (change.empty()) return;
    submit(std::move(change), {});
}

void IpamService::submit(core::Change change, Done done) {
    if (!change.empty()) {
        std::string bytes;
        std::string payload;
        for (auto& e : change.events) {
            payload.clear();
            core::encode_event(payload, e);
            journal::append_record(bytes, next_seq_++, payload);
        }
        const uint64_t last = next_seq_ - 1;
        bytes_since_snapshot_ += bytes.size();
        inflight_.push_back({last, std::move(change.undo),
                             on_durable_ || !readers_.empty() ? std::move(change.events) : std::vector<core::Event>{}});
        sink_.submit(std::move(bytes), epoch_,
                     [this, epoch = epoch_, last](Status st) { deliver({epoch, last, std::move(st), false}); });
        maybe_snapshot();
    }
    const uint64_t wait_for = next_seq_ - 1;
    if (!done) done = [](Status) {};
    if (wait_for <= durable_seq_) {
        done({});
        return;
    }
    waiters_.push_back({wait_for, std::move(done)});
}

void IpamService::on_committed(uint64_t epoch, uint64_t last_seq, Status st) {
    if (epoch != epoch_) return;  // already rolled back
    if (!st) {
        roll_back(st.error());
        return;
    }
    if (last_seq > durable_seq_) durable_seq_ = last_seq;
    while (!inflight_.empty() && inflight_.front().last_seq <= durable_seq_) {
        if (auto& evs = inflight_.front().events; !evs.empty()) {
            for (auto& r : readers_) r(evs);
            if (on_durable_) on_durable_(evs);
        }
        inflight_.pop_front();
    }
    while (!waiters_.empty() && waiters_.front().seq <= durable_seq_) {
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        w.done({});
    }
}

void IpamService::roll_back(const Error& cause) {
    spdlog::error("journal write failed ({}); undoing {} change(s) not yet durable and answering "
                  "their requests with 'try again later'",
                  cause.describe(), inflight_.size());
    for (auto it = inflight_.rbegin(); it != inflight_.rend(); ++it)
        for (auto u = it->undo.rbegin(); u != it->undo.rend(); ++u) (*u)();
    inflight_.clear();
    ++epoch_;
    next_seq_ = durable_seq_ + 1;
    snapshot_pending_ = false;
    Error answer{Code::try_again, "warrend could not make the change durable: " + cause.describe() +
                                      "; nothing was changed, try again"};
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& w : waiters) w.done(std::unexpected(answer));
}

void IpamService::maybe_snapshot() {
    // The journal may grow to twice the last snapshot before the next: writing a snapshot
    // walks the whole state on this thread, so its cost stays proportional to the changes.
    const uint64_t threshold = std::max(opts_.snapshot_after_bytes, 2 * last_snapshot_bytes_);
    if (snapshot_pending_ || bytes_since_snapshot_ < threshold) return;
    snapshot_pending_ = true;
    std::vector<std::string> payloads;
    uint64_t total = 0;
    for (auto& e : state_.snapshot_events()) {
        payloads.push_back(core::encode_event(e));
        total += payloads.back().size() + journal::kRecordHeaderSize;
    }
    last_snapshot_bytes_ = total;
    const uint64_t seq = next_seq_ - 1;
    spdlog::info("writing snapshot at seq {} ({} events) and compacting the journal", seq, payloads.size());
    sink_.submit_snapshot(seq, std::move(payloads), epoch_,
                          [this, epoch = epoch_, seq](Status st) { deliver({epoch, seq, std::move(st), true}); });
}

void IpamService::on_snapshot_written(uint64_t epoch, uint64_t seq, Status st) {
    if (epoch != epoch_) return;
    snapshot_pending_ = false;
    if (!st) {
        roll_back(st.error());
        return;
    }
    ++stats_.snapshots;
    stats_.last_snapshot_ns = clock_.now_ns();
    bytes_since_snapshot_ = 0;
    on_committed(epoch, seq, {});
}

void IpamService::deliver(Completion c) {
    {
        std::lock_guard lock(mailbox_mutex_);
        mailbox_.push_back(std::move(c));
    }
    if (!batched_wake_) wake_drain();
}

void IpamService::wake_drain() {
    {
        std::lock_guard lock(mailbox_mutex_);
        if (mailbox_.empty() || drain_pending_) return;
        drain_pending_ = true;
    }
    boost::asio::post(io_, [this] { drain_completions(); });
}

// Runs until the mailbox stays empty: completions that arrive while it runs are taken by the
// same drain, so the committer wakes this thread about once per batch, not once per request.
void IpamService::drain_completions() {
    std::vector<Completion> batch;
    for (;;) {
        {
            std::lock_guard lock(mailbox_mutex_);
            if (mailbox_.empty()) {
                drain_pending_ = false;
                return;
            }
            batch.swap(mailbox_);
        }
        for (auto& c : batch) {
            if (c.snapshot)
                on_snapshot_written(c.epoch, c.last_seq, std::move(c.status));
            else
                on_committed(c.epoch, c.last_seq, std::move(c.status));
        }
        batch.clear();
    }
}

}  // namespace warren::service
