#include "liveness/bpf_guard_maps.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>

#include <cerrno>
#include <string>

#include "liveness/abi.hpp"

namespace warren::liveness {
namespace {

// Every entry of a hash map, in batched lookups of up to 1024 (no two syscalls per entry).
template <class Key, class Value>
Status dump(int fd, const char* name, std::vector<Key>& keys, std::vector<Value>& values) {
    constexpr uint32_t kChunk = 1024;
    uint32_t batch = 0;
    bool first = true;
    for (;;) {
        const size_t at = keys.size();
        keys.resize(at + kChunk);
        values.resize(at + kChunk);
        uint32_t count = kChunk;
        int rc = bpf_map_lookup_batch(fd, first ? nullptr : &batch, &batch, &keys[at], &values[at],
                                      &count, nullptr);
        if (rc < 0 && rc != -ENOENT) {
            keys.clear();
            values.clear();
            return fail_errno(std::string("reading the ") + name + " map (BPF_MAP_LOOKUP_BATCH)",
                              -rc);
        }
        keys.resize(at + count);
        values.resize(at + count);
        if (rc == -ENOENT) return {};
        first = false;
    }
}

}  // namespace

Result<BpfGuardMaps> BpfGuardMaps::from_fds(int link_sources_fd, int spoofs_fd, int gen_fd) {
    Fd l(::fcntl(link_sources_fd, F_DUPFD_CLOEXEC, 3));
    if (!l) return fail_errno("duplicating the link_sources map fd");
    Fd s(::fcntl(spoofs_fd, F_DUPFD_CLOEXEC, 3));
    if (!s) return fail_errno("duplicating the spoofs map fd");
    Fd g(::fcntl(gen_fd, F_DUPFD_CLOEXEC, 3));
    if (!g) return fail_errno("duplicating the link_sources_gen map fd");
    return BpfGuardMaps(std::move(l), std::move(s), std::move(g));
}

Status BpfGuardMaps::bump_generation() {
    const uint32_t zero = 0;
    uint64_t gen = 0;
    int rc = bpf_map_lookup_elem(gen_.get(), &zero, &gen);
    if (rc == 0) {
        ++gen;
        rc = bpf_map_update_elem(gen_.get(), &zero, &gen, BPF_ANY);
    }
    if (rc == 0) return {};
    return fail_errno("counting a change of link_sources (link_sources_gen); the classifier may "
                      "check a link against its old entry until the next change",
                      -rc);
}

Status BpfGuardMaps::set_link(const LinkSources& s) {
    const std::string what = "anti-spoofing entry for ifindex " + std::to_string(s.ifindex);
    if (s.addresses.size() > WARREN_LINK_ADDRS)
        return fail(Code::invalid_config,
                    "cannot write the " + what + ": " + std::to_string(s.addresses.size()) +
                        " addresses, the classifier holds at most " +
                        std::to_string(WARREN_LINK_ADDRS) + " per link",
                    "give the attachment no more than " + std::to_string(WARREN_LINK_ADDRS) +
                        " range sets");
    warren_link_sources v{};
    v.mode = static_cast<uint32_t>(s.mode);
    v.count = static_cast<uint32_t>(s.addresses.size());
    for (size_t i = 0; i < s.addresses.size(); ++i) v.addrs[i] = to_key(s.addresses[i]);
    int rc = bpf_map_update_elem(link_sources_.get(), &s.ifindex, &v, BPF_ANY);
    if (rc == 0) return bump_generation();
    if (rc == -E2BIG)
        return fail(Code::unavailable,
                    "cannot write the " + what + ": the link_sources map is full (" +
                        std::to_string(WARREN_LINK_SOURCES_MAX_ENTRIES) + " links)");
    return fail_errno("writing the " + what + " (BPF_MAP_UPDATE_ELEM on link_sources)", -rc);
}

Status BpfGuardMaps::clear_link(uint32_t ifindex) {
    int rc = bpf_map_delete_elem(link_sources_.get(), &ifindex);
    if (rc == 0) return bump_generation();
    if (rc == -ENOENT) return {};
    return fail_errno("deleting the anti-spoofing entry for ifindex " + std::to_string(ifindex) +
                          " (BPF_MAP_DELETE_ELEM on link_sources)",
                      -rc);
}

Result<std::vector<LinkSources>> BpfGuardMaps::links() const {
    std::vector<uint32_t> keys;
    std::vector<warren_link_sources> values;
    if (auto ok = dump(link_sources_.get(), "link_sources", keys, values); !ok)
        return std::unexpected(ok.error());
    std::vector<LinkSources> out;
    out.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        LinkSources l{.ifindex = keys[i], .mode = static_cast<SpoofMode>(values[i].mode)};
        const uint32_t n = std::min<uint32_t>(values[i].count, WARREN_LINK_ADDRS);
        for (uint32_t a = 0; a < n; ++a) l.addresses.push_back(from_key(values[i].addrs[a]));
        out.push_back(std::move(l));
    }
    return out;
}

Result<std::vector<Spoof>> BpfGuardMaps::spoofs() const {
    std::vector<warren_spoof_key> keys;
    std::vector<warren_spoof> values;
    if (auto ok = dump(spoofs_.get(), "spoofs", keys, values); !ok)
        return std::unexpected(ok.error());
    std::vector<Spoof> out;
    out.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        const warren_spoof& v = values[i];
        out.push_back({keys[i].ifindex, from_key(keys[i].addr), v.first_seen_ns, v.last_seen_ns,
                       v.packets, v.bytes, v.dropped});
    }
    return out;
}

Status BpfGuardMaps::clear_spoofs(uint32_t ifindex) {
    std::vector<warren_spoof_key> keys;
    std::vector<warren_spoof> values;
    if (auto ok = dump(spoofs_.get(), "spoofs", keys, values); !ok) return ok;
    for (const auto& k : keys) {
        if (k.ifindex != ifindex) continue;
        int rc = bpf_map_delete_elem(spoofs_.get(), &k);
        if (rc < 0 && rc != -ENOENT)
            return fail_errno("deleting the spoofs entries of ifindex " + std::to_string(ifindex) +
                                  " (BPF_MAP_DELETE_ELEM on spoofs)",
                              -rc);
    }
    return {};
}

}  // namespace warren::liveness
