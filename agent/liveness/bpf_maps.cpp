#include "liveness/bpf_maps.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>

#include <cerrno>

namespace warren::liveness {
namespace {

// Every entry in one pass of batched lookups (one syscall per 1024 entries, not two per entry).
Result<std::vector<Entry>> dump(int fd, const char* name) {
    constexpr uint32_t kChunk = 1024;
    std::vector<warren_addr> keys(kChunk);
    std::vector<warren_observation> values(kChunk);
    std::vector<Entry> out;
    uint32_t batch = 0;
    bool first = true;
    for (;;) {
        uint32_t count = kChunk;
        int rc = bpf_map_lookup_batch(fd, first ? nullptr : &batch, &batch, keys.data(),
                                      values.data(), &count, nullptr);
        if (rc < 0 && rc != -ENOENT)
            return fail_errno(std::string("reading the ") + name + " map (BPF_MAP_LOOKUP_BATCH)",
                              -rc);
        for (uint32_t i = 0; i < count; ++i)
            out.push_back({from_key(keys[i]), from_value(values[i])});
        if (rc == -ENOENT) return out;
        first = false;
    }
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
    return dump(watch_.get(), "watch");
}

Result<std::vector<Entry>> BpfMaps::strangers() const {
    return dump(strangers_.get(), "strangers");
}

}  // namespace warren::liveness
