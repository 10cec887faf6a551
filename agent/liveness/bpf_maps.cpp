#include "liveness/bpf_maps.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>

namespace warren::liveness {
namespace {

// Every entry, in as few batched lookups as the buffer allows: one when the map holds no more
// than at the last dump (the buffer grows to fit and is kept), never two syscalls per entry.
Result<std::vector<Entry>> dump(int fd, const char* name, BatchBuffer& buf, uint32_t max_entries) {
    if (buf.keys.empty()) {
        buf.keys.resize(1024);
        buf.values.resize(1024);
    }
    std::vector<Entry> out;
    out.reserve(buf.last);
    uint32_t batch = 0;
    bool first = true;
    for (;;) {
        uint32_t count = static_cast<uint32_t>(buf.keys.size());
        int rc = bpf_map_lookup_batch(fd, first ? nullptr : &batch, &batch, buf.keys.data(),
                                      buf.values.data(), &count, nullptr);
        if (rc < 0 && rc != -ENOENT)
            return fail_errno(std::string("reading the ") + name + " map (BPF_MAP_LOOKUP_BATCH)",
                              -rc);
        for (uint32_t i = 0; i < count; ++i)
            out.push_back({from_key(buf.keys[i]), from_value(buf.values[i])});
        if (rc == -ENOENT) break;
        first = false;
    }
    buf.last = out.size();
    // Room for all of them and some growth next time (bounded by the map's size).
    const size_t want = std::min<size_t>(max_entries, out.size() + out.size() / 4 + 1024);
    if (want > buf.keys.size()) {
        buf.keys.resize(want);
        buf.values.resize(want);
    }
    return out;
}

}  // namespace

Result<BpfMaps> BpfMaps::from_fds(int watch_fd, int strangers_fd) {
    Fd w(::fcntl(watch_fd, F_DUPFD_CLOEXEC, 3));
    if (!w) return fail_errno("duplicating the watch map fd");
    Fd s(::fcntl(strangers_fd, F_DUPFD_CLOEXEC, 3));
    if (!s) return fail_errno("duplicating the strangers map fd");
    return BpfMaps(std::move(w), std::move(s));
}

Status BpfMaps::watch(const IpAddress& a) {
    warren_addr key = to_key(a);
    warren_observation fresh{};
    int rc = bpf_map_update_elem(watch_.get(), &key, &fresh, BPF_NOEXIST);
    if (rc == 0 || rc == -EEXIST) return {};
    if (rc == -E2BIG)
        return fail(Code::unavailable, "cannot watch " + a.str() + ": the watch map is full (" +
                                           std::to_string(WARREN_WATCH_MAX_ENTRIES) +
                                           " addresses)");
    return fail_errno("watching " + a.str() + " (BPF_MAP_UPDATE_ELEM on watch)", -rc);
}

Status BpfMaps::unwatch(const IpAddress& a) {
    warren_addr key = to_key(a);
    int rc = bpf_map_delete_elem(watch_.get(), &key);
    if (rc == 0 || rc == -ENOENT) return {};
    return fail_errno("unwatching " + a.str() + " (BPF_MAP_DELETE_ELEM on watch)", -rc);
}

Result<std::optional<Observation>> BpfMaps::observation(const IpAddress& a) const {
    warren_addr key = to_key(a);
    warren_observation v{};
    int rc = bpf_map_lookup_elem(watch_.get(), &key, &v);
    if (rc == -ENOENT) return std::nullopt;
    if (rc < 0) return fail_errno("looking up " + a.str() + " in watch", -rc);
    return from_value(v);
}

Result<std::vector<Entry>> BpfMaps::watched() const {
    std::lock_guard lock(buf_->mu);
    return dump(watch_.get(), "watch", buf_->watch, WARREN_WATCH_MAX_ENTRIES);
}

Result<std::vector<Entry>> BpfMaps::strangers() const {
    std::lock_guard lock(buf_->mu);
    return dump(strangers_.get(), "strangers", buf_->strangers, WARREN_STRANGERS_MAX_ENTRIES);
}

}  // namespace warren::liveness
