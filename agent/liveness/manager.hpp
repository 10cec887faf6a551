#pragma once
// LivenessManager: the agent's liveness signals in one place (DESIGN §7). It loads the
// classifier (or runs without it), attaches it to every pod-facing host link as links come and
// go, keeps `watch` in step with the allocations, and reads all signals for a GC pass. It
// decides nothing: observe() returns raw observations (observation.hpp) for the GC policy.
//
// Threads: everything runs on the agent's io_context thread (link events through an async_wait
// on the watcher's fd); every member function must be called on that thread. The only other
// threads are NlHostLinkFinder's short-lived ones.
// Exit: destroying the manager leaves the filters attached, so observations go on while the
// agent is down (a restarted agent reuses the pinned maps and replaces the filters;
// `warrend --detach-all` removes them).
// Errors: values; nothing throws.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "liveness/datapath.hpp"
#include "liveness/ebpf_diagnosis.hpp"
#include "liveness/holder_scanner.hpp"
#include "liveness/host_link.hpp"
#include "liveness/link_watcher.hpp"
#include "liveness/netns_cookie.hpp"
#include "liveness/netns_prober.hpp"
#include "liveness/observation.hpp"
#include "liveness/source_guard.hpp"
#include "liveness/wire_clock.hpp"

namespace warren::liveness {

enum class EbpfMode {
    automatic,  // "auto": use eBPF when it loads, else log why and run on the other signals
    on,         // a classifier that does not load is a start-up error
    off,        // never load it
};
// "auto", "on", "off"; anything else is an invalid_config error naming the choices.
Result<EbpfMode> parse_ebpf_mode(std::string_view text);
std::string_view to_string(EbpfMode mode);

struct LivenessConfig {
    EbpfMode ebpf = EbpfMode::automatic;                 // liveness.ebpf
    std::filesystem::path bpffs_dir = kDefaultBpffsDir;  // liveness.bpffsDir
    std::vector<std::string> interfaces;  // liveness.interfaces: attach to these too (a bridge)
    bool track_strangers = true;
    // HostLinkFinder lookups per observe() (each one a thread in the pod's namespace); the rest
    // wait for the next pass, so a restart over many unlearned pods spreads its cost.
    size_t host_link_lookups_per_pass = 256;
};

// The OS seams, each replaceable by a fake (tests/support/fake_*.hpp).
struct LivenessSeams {
    DatapathLoader load_datapath;
    std::function<Result<std::unique_ptr<LinkWatcher>>()> open_link_watcher;
    std::function<Result<std::unique_ptr<HostLinkFinder>>()> open_host_link_finder;
    std::unique_ptr<NetnsProber> netns_prober;
    std::unique_ptr<HolderScanner> holder_scanner;
    // Checks a holder of a dead pod's recorded inode against its cookie; null: not checked (the
    // holder counts, as before cookies).
    std::unique_ptr<NetnsCookieReader> cookie_reader;
    std::function<WireClock()> read_clock;
    std::function<EbpfHost(const std::filesystem::path& bpffs_dir)> probe_host;
};
// The real ones: Program, NlLinkWatcher, NlHostLinkFinder, StatNetnsProber (SystemNetnsProber
// when /proc/self/ns/net cannot be stat'ed), ProcHolderScanner, ThreadNetnsCookieReader, the
// kernel's clocks.
LivenessSeams system_seams();

struct SignalState {
    bool on = false;
    std::string why;  // when off (or degraded): why, and what to do
};

struct ReconcileCounts {
    size_t added = 0;    // should be watched, was not
    size_t removed = 0;  // watched, should not be
    size_t kept = 0;     // both (their observations kept)
    size_t failed = 0;   // map operations that failed (first_error says why)
    std::optional<Error> first_error;
};

struct LivenessStatus {
    EbpfMode mode = EbpfMode::automatic;
    SignalState netns;      // 1: always on
    SignalState holders;    // 2: off while the last scan failed; `why` notes an incomplete one
    SignalState host_link;  // 3: off without link events
    SignalState ebpf;       // 4
    // Anti-spoofing (issue 11): on when the datapath has the guard maps; `why` when off, or
    // when reading the spoof counts failed.
    SignalState anti_spoofing;
    EbpfOff ebpf_off = EbpfOff::none;
    bool program_loaded = false;
    std::filesystem::path bpffs_dir;
    std::map<int, std::string> attached;  // ifindex -> name of each link the filter is on
    std::optional<Stats> classifier;      // per-packet counters, when loaded and readable
    size_t attaches = 0;                  // successful attaches since start
    size_t attach_failures = 0;           // attaches that failed (logged)
    size_t vanished = 0;                  // links gone before or while attaching (not errors)
    size_t link_events = 0;               // LinkEvents handled
    size_t link_resyncs = 0;              // relistings after lost notifications
    size_t passes = 0;                    // observe() calls
};

class LivenessManager {
  public:
    LivenessManager(boost::asio::io_context& io, LivenessConfig config, LivenessSeams seams);
    ~LivenessManager();
    LivenessManager(const LivenessManager&) = delete;
    LivenessManager& operator=(const LivenessManager&) = delete;

    // Loads the classifier per the mode, opens link events, attaches to every pod-facing veth
    // and configured interface present, and starts following link events. Fails only in mode
    // `on` when eBPF cannot be had (load, or link events for attaching), with the reason; in
    // `auto` the reason is logged once and kept in status(). Call once.
    Status start();

    // Starts / stops recording traffic of these addresses (ADD before its answer; an address
    // back in the free set). No-ops without eBPF. Tries every address; returns the first error.
    Status watch(std::span<const IpAddress> addresses);
    Status unwatch(std::span<const IpAddress> addresses);
    // Makes `watch` exactly `should_watch` (start-up, from the journal: allocated and
    // quarantined addresses). Fails only when `watch` cannot be listed; all zero without eBPF.
    Result<ReconcileCounts> reconcile(const std::vector<IpAddress>& should_watch);

    // One GC pass's raw signals: one holder scan, one read of `watch` and `strangers`, the
    // link table (after applying pending link events), host links learned where missing (by
    // looking into present namespaces, up to the per-pass budget, else from the wire) and
    // remembered by key. `quarantined`: addresses without an allocation whose traffic matters.
    // An address missing from `watch` (eBPF on) is watched again and reported `unknown`,
    // `rewatched`. Never fails: what could not be read is `unknown`, with why in the pass.
    ObservePass observe(std::span<const AllocationRef> allocations,
                        std::span<const IpAddress> quarantined = {});
    // The same into `pass`, reusing its buffers (a GC runner keeps one ObservePass across passes
    // so a pass over an unchanged set of allocations allocates nothing per allocation).
    void observe(std::span<const AllocationRef> allocations, std::span<const IpAddress> quarantined,
                 ObservePass& pass);
    // The same signals for a few allocations on demand (an admin release, a dry-run GC), leaving
    // what the passes remember as it was: host links learned and looked up for every other
    // allocation, and the stranger counts (so the next pass still reports a new stranger).
    // `strangers` in the result stays empty; status().passes does not count it.
    ObservePass check(std::span<const AllocationRef> allocations,
                      std::span<const IpAddress> quarantined = {});

    LivenessStatus status() const;
    bool ebpf_on() const { return datapath_ != nullptr; }

    // Anti-spoofing (issue 11). The guard runs over the datapath's GuardMaps; without eBPF, or
    // with a datapath that has none, it is off and every call on it is a no-op.
    SourceGuard& guard() { return guard_; }
    const SourceGuard& guard() const { return guard_; }
    // status().anti_spoofing without reading the classifier's counters.
    const SignalState& anti_spoofing() const { return status_.anti_spoofing; }
    // ADD before its answer: finds the attachment's host link (known_ifindex when the link table
    // still has it as a pod-facing veth, else the HostLinkFinder, and remembers it for GC like
    // learn_host_link does) and protects it. Returns the host ifindex, 0 when it has none (not a
    // veth: nothing to protect) — never blocks on more than one finder call. Anti-spoofing off:
    // 0, nothing looked up.
    Result<int> protect(const std::string& key, const std::string& netns, const std::string& ifname,
                        uint64_t inode, int known_ifindex, SpoofMode mode,
                        std::span<const IpAddress> addresses);
    Status unprotect(const std::string& key);  // released
    // A classifier stamp (CLOCK_MONOTONIC_COARSE, as Spoof::first_seen_ns) as wall-clock ns.
    int64_t wire_to_wall_ns(uint64_t coarse_ns) const;
    // A host link's name as of the last link event handled; "" when not in the link table.
    std::string host_link_name(uint32_t ifindex) const;

  private:
    Status start_datapath();
    void start_links();
    void arm_link_events();
    void on_link_events();
    // Applies pending link events to the table (and attaches); false when the watcher failed.
    bool apply_link_events();
    void on_link(const LinkEvent& ev);
    bool should_attach(const LinkInfo& link) const;
    void attach_link(const LinkInfo& link);

    struct WireView;
    struct Learned {
        int ifindex = 0;
        HostIfindexSource source = HostIfindexSource::none;
    };
    std::optional<HolderScan> scan_holders(ObservePass& pass);
    WireView read_wire(const WireClock& clock, ObservePass& pass, bool strangers);
    // observe() (whole: one pass over every allocation) and check() (not whole).
    void observe_into(std::span<const AllocationRef> allocations,
                      std::span<const IpAddress> quarantined, ObservePass& pass, bool whole);
    // From the holder scan when it read the path's link (/proc/<pid>/ns/net), else the prober.
    void probe_netns(const HolderScan* scan, const AllocationRef& ref,
                     AllocationObservation& out) const;
    void find_holder(const HolderScan* scan, const AllocationRef& ref,
                     AllocationObservation& out) const;
    // A holder of the recorded inode while the path no longer holds the recorded namespace:
    // the pod, or a newer namespace given the same inode number? Decided by the cookies.
    HeldSignal check_holder_cookie(const Holder& h, uint64_t inode, bool scan_complete,
                                   const AllocationRef& ref, AllocationObservation& out) const;
    void learn_host_link(const AllocationRef& ref, const WireView& wire, AllocationObservation& out,
                         ObservePass& pass, std::unordered_map<std::string, Learned>& learned,
                         std::unordered_set<std::string>& looked);
    AddressSighting sight(const IpAddress& a, const WireView& wire, ObservePass& pass);
    void poll_guard();
    // Logs `why` when it differs from what `signal` said before, then stores it.
    static void note(SignalState& signal, bool on, std::string why, const char* name);

    boost::asio::io_context& io_;
    LivenessConfig config_;
    LivenessSeams seams_;
    LivenessStatus status_;
    std::unique_ptr<Datapath> datapath_;
    std::unique_ptr<LinkWatcher> links_;
    std::unique_ptr<HostLinkFinder> finder_;
    std::optional<boost::asio::posix::stream_descriptor> link_events_;
    std::set<int> attach_failed_;                       // ifindexes whose attach failure was logged
    std::unordered_map<std::string, Learned> learned_;  // by AllocationRef::key
    std::unordered_set<std::string> looked_;  // keys whose interface has no veth peer here
    std::unordered_map<IpAddress, uint64_t> stranger_packets_;  // as of the last pass
    SourceGuard guard_{nullptr};
};

}  // namespace warren::liveness
