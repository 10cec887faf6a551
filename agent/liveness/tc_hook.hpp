#pragma once
// Attaching the classifier to a link's clsact ingress with libbpf's tc API (netlink; no TCX on
// Debian 12's kernel 6.1 / libbpf 1.1).
//
// warren's filter is the one with handle kTcHandle and priority kTcPriority, running a program
// named "warren_liveness". Priority 1 runs it before other filters; it returns TC_ACT_UNSPEC so
// the next filter still decides. Attaching replaces an existing warren filter atomically (a
// restarted agent swaps in its own program without a gap).
#include <cstdint>
#include <optional>

#include "warren/error.hpp"

namespace warren::liveness {

inline constexpr uint32_t kTcHandle = 0x5741;  // "WA"
inline constexpr uint32_t kTcPriority = 1;
inline constexpr const char* kProgName = "warren_liveness";

// One attached filter; detaches on destruction unless leave_attached() was called. Move-only.
class TcAttachment {
  public:
    TcAttachment(TcAttachment&& o) noexcept;
    TcAttachment& operator=(TcAttachment&& o) noexcept;
    TcAttachment(const TcAttachment&) = delete;
    TcAttachment& operator=(const TcAttachment&) = delete;
    ~TcAttachment();

    int ifindex() const { return ifindex_; }
    // Removes warren's filter, then the clsact qdisc if no filter is left on it. A link that is
    // gone (its filters went with it) is success.
    Status detach();
    // Forgets the filter without removing it: the classifier keeps observing after the agent
    // exits (a restart replaces it; `warrend --detach-all` removes it).
    void leave_attached() { ifindex_ = 0; }

  private:
    friend Result<std::optional<TcAttachment>> attach(int prog_fd, int ifindex);
    explicit TcAttachment(int ifindex) : ifindex_(ifindex) {}
    int ifindex_ = 0;
};

// Creates clsact on `ifindex` if missing and attaches `prog_fd` to its ingress. nullopt when the
// link vanished meanwhile (ENODEV/ENOENT: a pod deleted while we attached), which is no error.
Result<std::optional<TcAttachment>> attach(int prog_fd, int ifindex);

// Whether warren's filter is on `ifindex`'s ingress now (for tests and status).
Result<bool> attached(int ifindex);

// Removes warren's filter from `ifindex`'s ingress, then the clsact qdisc if no filter is left on
// it. true when a filter was removed; false when none was there or the link is gone.
Result<bool> detach_filter(int ifindex);

}  // namespace warren::liveness
