#pragma once
// The admin socket's recent history (warrenctl events, show): the last `capacity` durable
// changes and conflicts, numbered from 1 in the order they happened. Memory only; at start it is
// seeded from the journal records recovered, so recent history survives a restart.
// Thread-safety: none; the I/O thread owns it.
#include <cstdint>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/events.hpp"
#include "core/gc_signals.hpp"
#include "core/ipam_state.hpp"
#include "journal/codec.hpp"

namespace warren::admin {

struct LoggedEvent {
    uint64_t seq = 0;
    int64_t time_ns = 0;
    std::string kind;  // admin_protocol.hpp's "events" kinds
    std::string ip, pool, network, container_id, ifname, reason, detail;
};
// The contract's JSON; empty optional fields are left out.
nlohmann::json to_json(const LoggedEvent& e);

class EventLog {
  public:
    static constexpr size_t kDefaultCapacity = 10'000;
    explicit EventLog(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

    // Numbers `e` (seq) and keeps it, dropping the oldest past the capacity.
    void add(LoggedEvent e);
    // Events with seq > since, oldest first, at most `limit` (the first ones after `since`).
    std::vector<const LoggedEvent*> after(uint64_t since, size_t limit) const;
    // The last `limit` events, oldest first.
    std::vector<const LoggedEvent*> last(size_t limit) const;
    // The seq the next event gets.
    uint64_t next_seq() const { return next_seq_; }
    const std::deque<LoggedEvent>& events() const { return events_; }

  private:
    size_t capacity_;
    uint64_t next_seq_ = 1;
    std::deque<LoggedEvent> events_;
};

// Where an attachment's addresses are, for events that name only its key (a release: the
// allocation is gone, its addresses cool down under its name). Pool and addresses, or empty.
struct Holding {
    std::string pool;
    std::vector<IpAddress> addresses;
};
using HoldingOf = std::function<Holding(const core::AttachmentKey&)>;
// Looks in the state: the allocation, else the addresses cooling down in its name.
Holding holding_in(const core::IpamState& state, const core::AttachmentKey& key);

// Translates journaled events into log entries. `now_ns` is the time of events that carry none
// (a cleared candidate, a pool definition, an ended quarantine); `imported` says whether an
// allocation came from import-host-local.
class EventTranslator {
  public:
    explicit EventTranslator(EventLog& log) : log_(log) {}
    // Moves the names out of `e` (an allocation's key, pool and pod become the entry's).
    void add(core::Event&& e, int64_t now_ns, const HoldingOf& holding, bool imported = false);
    void conflict(const core::Conflict& c, int64_t now_ns);

  private:
    EventLog& log_;
};

// Seeds `log` from the journal records recovered at start (in order; undecodable ones are
// skipped, recovery has refused a damaged journal already). Addresses of released attachments
// come from the allocations seen in the records, else from `state`.
void seed_from_records(EventLog& log, const std::vector<journal::Record>& records,
                       const core::IpamState& state);

}  // namespace warren::admin
