#pragma once
// Serves plugin requests against the in-memory state and makes every change durable before it
// is answered (DESIGN §5).
//
// A request is decided and applied to the state at once, on the I/O thread, so concurrent
// requests see each other; its events are handed to the group committer. Every answer waits
// until everything applied before it is durable, also answers that changed nothing (a repeated
// ADD must not return an address whose allocation could still be lost). When a journal write
// fails, every change not yet durable is undone in reverse order and its requests are answered
// with Code::try_again: nothing is half-applied and nothing acknowledged is lost.
//
// Thread-safety: all members run on the io_context's single thread; commit callbacks are
// posted back to it.
#include <boost/asio/io_context.hpp>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ipam_state.hpp"
#include "service/commit_sink.hpp"
#include "warren/protocol.hpp"

namespace warren::service {

class IpamService {
public:
    using Reply = std::function<void(proto::Response)>;
    // Inode of a netns path, 0 when it cannot be read (a seam for tests).
    using InodeOf = std::function<uint64_t(const std::string&)>;

    struct Options {
        uint64_t snapshot_after_bytes = 16ull << 20;
        uint64_t journal_bytes_at_start = 0;
    };

    IpamService(boost::asio::io_context& io, core::IpamState& state, CommitSink& sink,
                const core::Clock& clock, uint64_t next_seq, Options opts, InodeOf inode_of = {});
    // Must only be destroyed when idle(): the sink still holds callbacks into it otherwise.
    ~IpamService();

    // Called with the outcome of a submitted change, exactly once, on the I/O thread (or inline
    // from submit): ok once the change and everything applied before it are durable; Code::try_again
    // when a journal write failed and the change was undone.
    using Done = std::function<void(Status)>;
    // The one path by which a change reaches the journal: CNI requests, queued DELs, the
    // quarantine sweep, pool definitions (and later GC, admin and Kubernetes updates). `change`
    // must already be applied to the state (with its undo); an empty change is answered once
    // everything before it is durable. `done` may be empty.
    void submit(core::Change change, Done done);

    // Answers through `reply` exactly once, possibly later (after the journal sync).
    void handle(proto::Request req, Reply reply);
    // Defines or updates a pool (config, later Kubernetes); `done` as for submit, or at once with
    // the state's error when the definition is refused. Logs when existing ranges change.
    void define_pool(const std::string& name, const std::vector<core::RangeSet>& sets, core::PoolSource source,
                     Done done);
    // A DEL the plugin queued while the agent was down; `done(ok)` once durable. Skipped when
    // the attachment was allocated after the DEL was queued (the runtime retried ADD since).
    // Returns what it decided (at once; `done` still says whether that became durable).
    enum class QueuedDelete { released, nothing_held, superseded };
    QueuedDelete apply_queued_delete(const proto::Request& req, int64_t enqueued_unix_ns,
                                     std::function<void(bool)> done);
    // Called on every successful ADD with what the attachment holds, before the answer is sent
    // (the agent starts watching its addresses on the wire). Must not fail or block.
    using OnAllocated = std::function<void(const core::Allocation&)>;
    void set_on_allocated(OnAllocated f) { on_allocated_ = std::move(f); }
    // Called once per CNI request when its answer is handed to `reply`, with the steady-clock
    // nanoseconds since handle() got it (the metrics' latency histograms). Must not block.
    using OnAnswered = std::function<void(proto::Op, int64_t ns)>;
    void set_on_answered(OnAnswered f) { on_answered_ = std::move(f); }

    // Asked before an ADD that allocates and before a STATUS, with the pool the request would use
    // (its "pool", else the network's name when it gives ranges, else "default"): an error is
    // the answer (a pool Kubernetes has not assigned yet). Must not block.
    using PoolGate = std::function<Status(std::string_view pool)>;
    void set_pool_gate(PoolGate f) { pool_gate_ = std::move(f); }

    // Asked before an ADD that allocates (a repeated ADD of a held attachment is not asked), before
    // the pool gate: the zone rules' decision (core/zones.hpp choose()). An error is the answer
    // (Code::zone_refused names the rule, Code::try_again while labels are unknown); a pool is the
    // one the ADD allocates from (the request named none). Must not block.
    using ZoneGate = std::function<Result<std::optional<std::string>>(const proto::Request&)>;
    void set_zone_gate(ZoneGate f) { zone_gate_ = std::move(f); }

    // Called on the I/O thread with the events of each change once it is durable, in journal
    // order (changes rolled back never reach it); it may move from them. Must not submit or block.
    using OnDurable = std::function<void(std::vector<core::Event>&)>;
    void set_on_durable(OnDurable f) { on_durable_ = std::move(f); }
    // Also hears the durable events, before set_on_durable's callback (which may move from them).
    using OnDurableRead = std::function<void(const std::vector<core::Event>&)>;
    void add_on_durable(OnDurableRead f) { readers_.push_back(std::move(f)); }

    // Ends cooldowns that have run out; journaled like any change.
    void sweep_quarantine();

    // True when nothing is waiting for the journal (used for a clean shutdown).
    bool idle() const { return inflight_.empty() && waiters_.empty() && !snapshot_pending_; }

    struct Stats {
        uint64_t snapshots = 0;  // written and durable
        int64_t last_snapshot_ns = 0;  // wall clock when the last one became durable; 0 = none yet
    };
    const Stats& stats() const { return stats_; }

private:
    struct Inflight {
        uint64_t last_seq;
        std::vector<core::Undo> undo;
        std::vector<core::Event> events;  // kept only for on_durable_
    };
    struct Waiter {
        uint64_t seq;
        Done done;
    };

    struct Completion {
        uint64_t epoch, last_seq;
        Status status;
        bool snapshot;
    };

    // Consumes the request's strings.
    proto::Response decide(proto::Request& req, core::Change& change);
    void on_committed(uint64_t epoch, uint64_t last_seq, Status st);
    void on_snapshot_written(uint64_t epoch, uint64_t seq, Status st);
    // Called on the committer thread (or inline). The I/O thread is woken by wake_drain: at the
    // end of each of the sink's batches when it reports them, else at once.
    void deliver(Completion c);
    void wake_drain();
    void drain_completions();
    void roll_back(const Error& cause);
    void maybe_snapshot();
    proto::Response ips_response(const core::Allocation& a) const;

    boost::asio::io_context& io_;
    core::IpamState& state_;
    CommitSink& sink_;
    const core::Clock& clock_;
    Options opts_;
    InodeOf inode_of_;
    OnAllocated on_allocated_;
    OnDurable on_durable_;
    std::vector<OnDurableRead> readers_;
    OnAnswered on_answered_;
    PoolGate pool_gate_;
    ZoneGate zone_gate_;

    uint64_t next_seq_;
    uint64_t durable_seq_;
    uint64_t epoch_ = 1;
    uint64_t bytes_since_snapshot_ = 0;
    uint64_t last_snapshot_bytes_ = 0;
    bool snapshot_pending_ = false;
    std::deque<Inflight> inflight_;
    std::deque<Waiter> waiters_;
    Stats stats_;
    // When a repeated ADD last confirmed an attachment (memory only): a DEL queued before that
    // must not release what the runtime was just told it holds.
    std::unordered_map<core::AttachmentKey, int64_t> readded_;
    std::mutex mailbox_mutex_;
    std::vector<Completion> mailbox_;
    bool drain_pending_ = false;  // a drain is posted or running (guarded by mailbox_mutex_)
    bool batched_wake_ = false;   // the sink calls wake_drain after each batch
};

}  // namespace warren::service
