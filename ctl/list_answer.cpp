#include "list_answer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>

#include "render.hpp"

namespace warren::ctl {

namespace {

using json = nlohmann::json;

int64_t int_from_text(std::string_view s) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && end == s.data() + s.size() ? v : 0;
}

// Fills ListAnswer from SAX events. Any value where render_list would do something other than
// read a string or a time aborts the parse (returns false): the DOM path then decides.
class ListSax final : public nlohmann::json_sax<json> {
  public:
    ListAnswer answer;
    bool ok = false;
    bool has_result = false;
    int answer_keys = 0;

    bool null() override { return scalar(Scalar::null, 0); }
    bool boolean(bool v) override {
        if (at() == At::answer && key_ == "ok") ok = v;
        return scalar(Scalar::boolean, 0);
    }
    bool number_integer(number_integer_t v) override { return scalar(Scalar::number, v); }
    bool number_unsigned(number_unsigned_t v) override {
        return scalar(Scalar::number,
                      v <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(v) : 0);
    }
    bool number_float(number_float_t v, const string_t&) override {
        // As as_int: outside int64's range the value is no time.
        return scalar(Scalar::number, v > -9.2e18 && v < 9.2e18 ? static_cast<int64_t>(v) : 0);
    }
    bool string(string_t& v) override {
        if (at() != At::entry) return scalar(Scalar::string, 0);
        if (std::string* field = string_field()) {
            if (key_ == "zone") answer.rows.back().has_zone = true;
            *field = std::move(v);
            return true;
        }
        if (int64_t* field = time_field()) *field = int_from_text(v);
        return true;
    }
    bool binary(binary_t&) override { return false; }
    bool key(string_t& k) override {
        if (at() == At::answer) ++answer_keys;
        key_ = std::move(k);
        return true;
    }
    bool start_object(std::size_t) override { return open(true); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(false); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }

  private:
    enum class At { none, answer, result, entries, entry, skip };
    enum class Scalar { null, boolean, number, string };
    std::vector<At> stack_;
    std::string key_;

    At at() const { return stack_.empty() ? At::none : stack_.back(); }

    std::string* string_field() {
        ListRow& r = answer.rows.back();
        if (key_ == "ip") return &r.ip;
        if (key_ == "pool") return &r.pool;
        if (key_ == "podNamespace") return &r.pod_namespace;
        if (key_ == "podName") return &r.pod_name;
        if (key_ == "containerId") return &r.container_id;
        if (key_ == "ifname") return &r.ifname;
        if (key_ == "netns") return &r.netns;
        if (key_ == "state") return &r.state;
        if (key_ == "reason") return &r.reason;
        if (key_ == "zone") return &r.zone;
        if (key_ == "zoneMismatch") return &r.zone_mismatch;
        return nullptr;
    }
    int64_t* time_field() {
        ListRow& r = answer.rows.back();
        if (key_ == "allocatedNs") return &r.allocated_ns;
        if (key_ == "lastSeenNs") return &r.last_seen_ns;
        return nullptr;
    }

    bool scalar(Scalar kind, int64_t number) {
        switch (at()) {
            case At::none:
            case At::entries:
                return false;
            case At::answer:
                return key_ != "result";
            case At::result:
                return key_ != "entries";
            case At::entry:
                if (string_field()) return false;  // render_list would print it as JSON text
                if (int64_t* field = time_field()) *field = kind == Scalar::number ? number : 0;
                return true;
            case At::skip:
                return true;
        }
        return false;
    }

    bool open(bool object) {
        At next = At::skip;
        switch (at()) {
            case At::none:
                if (!object) return false;
                next = At::answer;
                break;
            case At::answer:
                if (key_ == "result") {
                    if (!object) return false;
                    has_result = true;
                    next = At::result;
                }
                break;
            case At::result:
                if (key_ == "entries") {
                    if (object) return false;
                    next = At::entries;
                }
                break;
            case At::entries:
                if (!object) return false;
                answer.rows.emplace_back();
                next = At::entry;
                break;
            case At::entry:
                if (string_field() || time_field()) return false;
                break;
            case At::skip:
                break;
        }
        stack_.push_back(next);
        return true;
    }

    bool close() {
        stack_.pop_back();
        return true;
    }
};

std::string_view dash(const std::string& s) {
    return s.empty() ? std::string_view("-") : std::string_view(s);
}

// A cell as up to four pieces, so that none is built as a string of its own.
struct Cell {
    std::array<std::string_view, 4> parts{};
    size_t size() const {
        return parts[0].size() + parts[1].size() + parts[2].size() + parts[3].size();
    }
    void append_to(std::string& out) const {
        for (auto p : parts) out.append(p);
    }
};

constexpr size_t kColumns = 10;
constexpr size_t kZoneColumn = 2;  // printed only with zones on
using Cells = std::array<Cell, kColumns>;

Cells cells(const ListRow& r, const std::string& allocated, const std::string& last_seen) {
    Cells c;
    c[0].parts[0] = dash(r.ip);
    c[1].parts[0] = dash(r.pool);
    c[2].parts = {dash(r.zone), r.zone_mismatch.empty() ? "" : "!"};
    if (r.pod_name.empty())
        c[3].parts[0] = "-";
    else if (r.pod_namespace.empty())
        c[3].parts[0] = r.pod_name;
    else
        c[3].parts = {r.pod_namespace, "/", r.pod_name};
    c[4].parts[0] = dash(r.container_id).substr(0, 12);
    c[5].parts[0] = dash(r.ifname);
    c[6].parts[0] = dash(r.netns);
    c[7].parts[0] = allocated;
    c[8].parts[0] = last_seen;
    c[9].parts[0] = dash(r.state);
    if (!r.reason.empty()) c[9].parts = {dash(r.state), " (", r.reason, ")"};
    return c;
}

void append_line(std::string& out, const Cells& row, const std::array<size_t, kColumns>& width,
                 bool zones) {
    for (size_t i = 0; i < kColumns; ++i) {
        if (i == kZoneColumn && !zones) continue;
        row[i].append_to(out);
        if (i + 1 < kColumns) out.append(width[i] - row[i].size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out.push_back('\n');
}

}  // namespace

std::optional<ListAnswer> parse_list_answer(std::string_view text) {
    ListSax sax;
    if (!json::sax_parse(text, &sax) || !sax.ok || !sax.has_result) return std::nullopt;
    constexpr std::string_view kPrefix = R"({"ok":true,"result":)";
    size_t end = text.find_last_not_of(" \t\r\n");
    if (sax.answer_keys == 2 && text.starts_with(kPrefix) && end != text.npos && text[end] == '}')
        sax.answer.result_text = text.substr(kPrefix.size(), end - kPrefix.size());
    return std::move(sax.answer);
}

std::string indent_json(std::string_view in) {
    std::string out;
    out.reserve(in.size() + in.size() / 2);
    size_t level = 0;
    auto newline = [&] {
        out.push_back('\n');
        out.append(2 * level, ' ');
    };
    auto next_token = [&](size_t i) {
        while (i < in.size() && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r'))
            ++i;
        return i;
    };
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        switch (c) {
            case '"': {
                size_t end = i + 1;
                while (end < in.size() && in[end] != '"') end += in[end] == '\\' ? 2 : 1;
                out.append(in.substr(i, end - i + 1));
                i = end;
                break;
            }
            case '{':
            case '[': {
                const size_t next = next_token(i + 1);
                if (next < in.size() && (in[next] == '}' || in[next] == ']')) {
                    out.push_back(c);
                    out.push_back(in[next]);
                    i = next;
                    break;
                }
                out.push_back(c);
                ++level;
                newline();
                break;
            }
            case '}':
            case ']':
                --level;
                newline();
                out.push_back(c);
                break;
            case ',':
                out.push_back(',');
                newline();
                break;
            case ':':
                out.append(": ");
                break;
            case ' ':
            case '\t':
            case '\n':
            case '\r':
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::vector<ListRow> list_rows(const json& result) {
    std::vector<ListRow> rows;
    const json& entries = list(result, "entries");
    rows.reserve(entries.size());
    // cell() gives "-" for what is empty or missing, and the table prints "-" for "" too.
    for (auto& e : entries) {
        ListRow r;
        r.ip = cell(e, "ip");
        r.pool = cell(e, "pool");
        r.pod_namespace = e.value("podNamespace", std::string());
        r.pod_name = e.value("podName", std::string());
        r.container_id = cell(e, "containerId");
        r.ifname = cell(e, "ifname");
        r.netns = cell(e, "netns");
        r.state = cell(e, "state");
        r.reason = e.value("reason", std::string());
        r.allocated_ns = as_int(e, "allocatedNs");
        r.last_seen_ns = as_int(e, "lastSeenNs");
        if (e.is_object() && e.contains("zone")) {
            r.has_zone = true;
            r.zone = e.value("zone", std::string());
        }
        r.zone_mismatch = e.value("zoneMismatch", std::string());
        rows.push_back(std::move(r));
    }
    return rows;
}

std::string render_list_rows(const std::vector<ListRow>& rows, int64_t now_ns) {
    if (rows.empty()) return "no allocations\n";
    Cells header;
    constexpr std::array<std::string_view, kColumns> kHeader = {
        "IP",     "POOL",  "ZONE",      "POD",       "CONTAINER",
        "IFNAME", "NETNS", "ALLOCATED", "LAST SEEN", "STATE"};
    const bool zones = std::ranges::any_of(rows, [](const ListRow& r) { return r.has_zone; });
    std::array<size_t, kColumns> width{};
    for (size_t i = 0; i < kColumns; ++i) {
        header[i].parts[0] = kHeader[i];
        width[i] = kHeader[i].size();
    }
    std::vector<std::array<std::string, 2>> ages(rows.size());
    size_t bytes = 0;
    for (size_t n = 0; n < rows.size(); ++n) {
        ages[n] = {format_age(rows[n].allocated_ns, now_ns),
                   format_age(rows[n].last_seen_ns, now_ns)};
        Cells c = cells(rows[n], ages[n][0], ages[n][1]);
        for (size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], c[i].size());
    }
    for (size_t w : width) bytes += w + 2;
    std::string out;
    out.reserve(bytes * (rows.size() + 1));
    append_line(out, header, width, zones);
    for (size_t n = 0; n < rows.size(); ++n)
        append_line(out, cells(rows[n], ages[n][0], ages[n][1]), width, zones);
    if (!zones) return out;
    bool first = true;
    for (const auto& r : rows) {
        if (r.zone_mismatch.empty()) continue;
        if (first)
            out +=
                "\nzone mismatches (the zone rules now in force would not give these addresses):\n";
        first = false;
        out += "  ";
        out += dash(r.ip);
        if (!r.pod_name.empty()) {
            out += " (";
            out += r.pod_namespace.empty() ? r.pod_name : r.pod_namespace + "/" + r.pod_name;
            out += ")";
        }
        out += ": ";
        out += r.zone_mismatch;
        out += '\n';
    }
    return out;
}

}  // namespace warren::ctl
