#pragma once
// `list` without a JSON DOM: the agent's answer text parsed (nlohmann's SAX interface) straight
// into the fields the table prints, and the table written into one string. 10,000 entries are
// 4.4 MiB of JSON; a DOM of them costs more than everything else warrenctl does.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warren::ctl {

// One list entry, only what the table shows. Strings as sent ("" when absent); times as
// as_int() reads them (numbers, or numeric strings; 0 when absent or unreadable).
struct ListRow {
    std::string ip, pool, pod_namespace, pod_name, container_id, ifname, netns, state, reason;
    int64_t allocated_ns = 0;
    int64_t last_seen_ns = 0;
    // "zone" and "zoneMismatch" (zones on): the table has a ZONE column when any row has a zone.
    bool has_zone = false;
    std::string zone, zone_mismatch;
};

struct ListAnswer {
    std::vector<ListRow> rows;
    // The "result" value's text as the agent sent it, when the answer is exactly
    // {"ok":true,"result":<result>} (how warrend writes it): --json prints it as it is.
    // A view into the text given to parse_list_answer(), which must outlive it.
    std::optional<std::string_view> result_text;
};

// The rows of a well-formed ok:true answer to "list" (`text` is the whole response payload).
// nullopt for anything else (not JSON, ok:false, a field of an unexpected type, ...): the caller
// then takes the DOM path, whose handling of such answers is the reference.
std::optional<ListAnswer> parse_list_answer(std::string_view text);

// The rows of a "list" result object, with render_list's reading of each field (throws
// json::type_error where it would: a non-string pod name, a non-object entry).
std::vector<ListRow> list_rows(const nlohmann::json& result);

// `compact`, a JSON text as nlohmann's dump() writes it (valid, no whitespace outside strings),
// as dump(2) would write the same value: byte for byte, without building the value. Whitespace
// outside strings is dropped, so any valid JSON text comes out indented the same way.
std::string indent_json(std::string_view compact);

// The list table (render_list's text) in one pre-sized string. With zones on, a ZONE column
// (the zone, "-" for none, a trailing "!" on a mismatch) and each mismatch's reason under it.
std::string render_list_rows(const std::vector<ListRow>& rows, int64_t now_ns);

}  // namespace warren::ctl
