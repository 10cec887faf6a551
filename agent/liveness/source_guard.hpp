#pragma once
// SourceGuard: anti-spoofing in the agent (issue 11). It keeps `link_sources` in step with the
// allocations (one entry per host link: its attachment's addresses and its zone's mode), reads
// `spoofs` each pass, logs one line per new offender (link + source), and keeps the counts that
// metrics (warren_spoofed_packets_total), `warrenctl show` and `status` report.
//
// Entries: protect() on every ADD before its answer (and on a repeated ADD or a zone change),
// release() when the attachment's addresses are released, link_gone() when netlink says the link
// went (its ifindex may be reused: the entry and its spoofs are deleted), reconcile() at start-up
// (from the journal's allocations whose host link is known and present).
//
// Threads: the agent's I/O thread only. Errors: values; a map that cannot be written is an
// error for the caller to log (the ADD is still answered: anti-spoofing is enforcement on top
// of IPAM, and an unknown link is never dropped).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "liveness/guard_maps.hpp"

namespace warren::liveness {

struct Offender {
    Spoof spoof;
    std::string link;   // the host link's name when known, else "ifindex N"
    std::string owner;  // the attachment key (AttachmentKey::str()) the link belongs to, or ""
    SpoofMode mode = SpoofMode::log;  // the link's mode when last read
};

struct GuardCounts {
    size_t links = 0;       // entries in link_sources
    size_t by_mode[3] = {};  // entries per SpoofMode (off, log, drop)
    size_t offenders = 0;   // (link, source) pairs in the last poll
    uint64_t packets = 0, dropped = 0;  // summed over offenders of the last poll
};

class SourceGuard {
  public:
    // `maps` null: eBPF is off; every call is a no-op that succeeds, `on()` is false.
    explicit SourceGuard(GuardMaps* maps) : maps_(maps) {}

    bool on() const { return maps_ != nullptr; }

    // `ifindex` (the host side of attachment `owner`) may send only from `addresses`; `mode`
    // off deletes the entry. Replaces what the link had (a new owner takes the ifindex over).
    Status protect(const std::string& owner, uint32_t ifindex, SpoofMode mode,
                   std::span<const IpAddress> addresses);
    // The attachment's addresses were released: its link's entry goes (only if `owner` still has
    // it). Unknown owner: nothing.
    Status release(const std::string& owner);
    // The link went: its entry and its spoofs go.
    void link_gone(uint32_t ifindex);
    // Makes link_sources exactly `want` (by ifindex); returns how many entries were written and
    // deleted. `owners[i]` is the attachment of want[i].
    struct Reconciled {
        size_t written = 0, deleted = 0, kept = 0;
    };
    Result<Reconciled> reconcile(const std::vector<LinkSources>& want,
                                 const std::vector<std::string>& owners);

    // Reads spoofs: every (link, source) with what was seen; one warning per pair never seen
    // before (by this agent: a restarted agent logs the pairs still in the pinned map once).
    // `link_name`: ifindex -> name ("" when unknown).
    Result<std::vector<Offender>> poll(const std::function<std::string(uint32_t)>& link_name);
    const std::vector<Offender>& offenders() const { return last_; }
    GuardCounts counts() const;
    // The link an attachment is protected on, 0 when none.
    uint32_t link_of(const std::string& owner) const;
    // What protect() last gave for `owner` (mode off included); nullopt when it has nothing.
    std::optional<LinkSources> protection_of(const std::string& owner) const;

  private:
    struct Held {
        std::string owner;
        SpoofMode mode = SpoofMode::log;
        std::vector<IpAddress> addresses;
    };
    GuardMaps* maps_;
    std::map<uint32_t, Held> links_;                 // by ifindex
    std::map<std::string, uint32_t> by_owner_;       // owner -> ifindex
    std::map<std::pair<uint32_t, IpAddress>, bool> logged_;  // offenders already logged
    std::vector<Offender> last_;
};

}  // namespace warren::liveness
