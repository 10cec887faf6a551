// The agent's start from a state directory: a snapshot and a journal (both untrusted bytes),
// decoded, recovered by journal::Journal::open, each payload decoded to an event and replayed
// into the state as the daemon does. What recovers must survive the next start unchanged, also
// after the agent writes to the journal and compacts it into a new snapshot.
//
// Input, by its first byte:
//   'R' raw files: u32 LE snapshot length (0xffffffff: no snapshot file) | snapshot | journal.
//   'F' framed payloads: u8 n | (u16 LE length | event payload)... The first n payloads make a
//       snapshot, the rest journal records after it, framed here with valid checksums, so
//       mutations reach the event decoder and the state instead of stopping at a CRC.
#include <algorithm>
#include <cstring>

#include "core/events.hpp"
#include "core/ipam_state.hpp"
#include "fuzz.hpp"
#include "journal/codec.hpp"
#include "journal/journal.hpp"
#include "serve.hpp"
#include "support/fake_storage.hpp"

using namespace warren;

namespace {

// daemon.cpp's recover(): snapshot payloads, then the records after it.
Status recover(core::IpamState& state, const journal::Recovered& rec) {
    auto one = [&](const std::string& payload) -> Status {
        auto e = core::decode_event(payload);
        if (!e) return std::unexpected(e.error());
        // The encoding is canonical: what decodes, encodes to the same bytes.
        FUZZ_CHECK(core::encode_event(*e) == payload);
        return state.replay(*e);
    };
    for (auto& p : rec.snapshot)
        if (auto s = one(p); !s) return s;
    for (auto& r : rec.records)
        if (auto s = one(r.payload); !s) return s;
    return {};
}

void check_codec(std::string_view journal_bytes, const std::optional<std::string>& snapshot) {
    auto d = journal::decode_records(journal_bytes, 0);
    FUZZ_CHECK(d.valid_bytes <= journal_bytes.size());
    FUZZ_CHECK((d.tail == journal::Tail::clean) == (d.valid_bytes == journal_bytes.size()));
    FUZZ_CHECK(d.tail == journal::Tail::clean || !d.problem.empty());
    std::string again;
    for (size_t i = 0; i < d.records.size(); ++i) {
        if (i > 0) FUZZ_CHECK(d.records[i].seq == d.records[i - 1].seq + 1);
        journal::append_record(again, d.records[i].seq, d.records[i].payload);
    }
    FUZZ_CHECK(again == journal_bytes.substr(0, d.valid_bytes));
    if (!d.records.empty())
        FUZZ_CHECK(journal::validate_batch(again, d.records.front().seq) == d.records.size());

    if (!snapshot) return;
    auto snap = journal::decode_snapshot(*snapshot);
    if (!snap) return;
    auto bytes = journal::encode_snapshot(snap->seq, snap->payloads);
    FUZZ_CHECK(bytes.has_value() && *bytes == *snapshot);
}

// 'F' input to the files the agent would find.
bool frame(std::string_view in, std::optional<std::string>& snapshot, std::string& journal_bytes) {
    if (in.empty()) return false;
    const size_t in_snapshot = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    std::vector<std::string> payloads;
    while (in.size() >= 2) {
        const size_t len = static_cast<uint8_t>(in[0]) | static_cast<size_t>(static_cast<uint8_t>(in[1])) << 8;
        in.remove_prefix(2);
        if (len > in.size()) return false;
        payloads.emplace_back(in.substr(0, len));
        in.remove_prefix(len);
    }
    const size_t n = std::min(in_snapshot, payloads.size());
    if (in_snapshot > 0) {
        auto bytes = journal::encode_snapshot(n, {payloads.begin(), payloads.begin() + static_cast<long>(n)});
        FUZZ_CHECK(bytes.has_value());
        snapshot = std::move(*bytes);
    }
    for (size_t i = n; i < payloads.size(); ++i) journal::append_record(journal_bytes, i + 1, payloads[i]);
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in = fuzz::view(data, size);
    if (in.empty()) return 0;
    const char mode = in[0];
    in.remove_prefix(1);
    std::optional<std::string> snapshot;
    std::string framed;
    if (mode == 'F') {
        if (!frame(in, snapshot, framed)) return 0;
        in = framed;
    } else if (mode != 'R') {
        return 0;
    } else if (in.size() >= 4) {
        uint32_t len = 0;
        for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
        in.remove_prefix(4);
        if (len != 0xffffffff) {
            if (len > in.size()) return 0;
            snapshot = std::string(in.substr(0, len));
            in.remove_prefix(len);
        }
    }
    check_codec(in, snapshot);

    auto disk = std::make_shared<testing::FakeDisk>();
    disk->set_journal(std::string(in));
    disk->set_snapshot(snapshot);
    auto opened = journal::Journal::open(std::make_unique<testing::FakeStorage>(disk));
    if (!opened) {
        FUZZ_CHECK(!opened.error().message.empty());
        return 0;
    }
    auto& [j, rec] = *opened;
    core::IpamState state(fuzz::kCooldownNs);
    if (!recover(state, rec)) return 0;  // the daemon refuses to start, naming the record

    // The state's own snapshot rebuilds it.
    const auto image = fuzz::image(state);
    {
        core::IpamState rebuilt(fuzz::kCooldownNs);
        for (auto& e : state.snapshot_events()) FUZZ_CHECK(rebuilt.replay(e).has_value());
        FUZZ_CHECK(fuzz::image(rebuilt) == image);
    }

    // The agent goes on: a quarantine sweep is journaled, then compacted into a snapshot.
    core::Change sweep;
    state.sweep_quarantine(fuzz::kNow + fuzz::kCooldownNs, sweep);
    fuzz::check_journaled(sweep.events);
    std::string batch;
    uint64_t seq = j->next_seq();
    for (auto& e : sweep.events) journal::append_record(batch, seq++, core::encode_event(e));
    FUZZ_CHECK(j->append(batch).has_value());
    const auto swept = fuzz::image(state);

    auto restart = [&] {
        auto again = journal::Journal::open(std::make_unique<testing::FakeStorage>(disk));
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->second.truncated_bytes == 0);
        core::IpamState s(fuzz::kCooldownNs);
        FUZZ_CHECK(recover(s, again->second).has_value());
        FUZZ_CHECK(fuzz::image(s) == swept);
    };
    restart();

    std::vector<std::string> payloads;
    for (auto& e : state.snapshot_events()) payloads.push_back(core::encode_event(e));
    FUZZ_CHECK(j->write_snapshot(j->next_seq() - 1, payloads).has_value());
    restart();
    return 0;
}
