#include "antispoof_render.hpp"

#include "render.hpp"

namespace warren::ctl {

namespace {

std::string plural(int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A string member, "" when missing or of another type (an answer from another version).
std::string text(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool on(const json& object) {
    auto it = object.find("on");
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string join(const json& list) {
    std::string out;
    if (list.is_array())
        for (auto& v : list) out += (out.empty() ? "" : ", ") + cell(v);
    return out;
}

}  // namespace

std::string antispoof_status_line(const json& r) {
    if (!r.is_object() || !r.contains("antiSpoofing")) return {};
    const json& a = object_at(r, "antiSpoofing");
    const std::string why = text(a, "why");
    if (!on(a)) return "\nanti-spoofing  off" + (why.empty() ? "" : ": " + why) + "\n";
    const json& links = object_at(a, "links");
    const int64_t log = as_int(links, "log"), drop = as_int(links, "drop"),
                  off = as_int(links, "off");
    std::string out = "\nanti-spoofing  on: " + plural(log + drop, "link", "links") + " checked (" +
                      std::to_string(drop) + " drop, " + std::to_string(log) + " log), " +
                      std::to_string(off) + " off; " +
                      plural(as_int(a, "offenders"), "offender", "offenders");
    if (as_int(a, "offenders") > 0)
        out += ", " + plural(as_int(a, "packets"), "packet", "packets") + ", " +
               cell(a, "dropped") + " dropped";
    if (!why.empty()) out += " (" + why + ")";
    return out + "\n";
}

std::string antispoof_show_block(const json& m, int64_t now_ns) {
    if (!m.is_object() || !m.contains("antiSpoofing")) return {};
    const json& a = object_at(m, "antiSpoofing");
    if (!on(a)) {
        const std::string why = text(a, "why");
        return "  anti-spoofing: off" + (why.empty() ? "" : ": " + why) + "\n";
    }
    if (as_int(a, "ifindex") == 0)
        return text(a, "zoneMode") == "off"
                   ? "  anti-spoofing: off (its zone's antiSpoofing)\n"
                   : "  anti-spoofing: not protected (no host link known for it)\n";
    const std::string name = text(a, "link");
    const std::string link =
        (name.empty() ? "" : name + " ") + "(ifindex " + cell(a, "ifindex") + ")";
    const std::string mode = text(a, "mode");
    if (mode == "off") return "  anti-spoofing: off for its zone, on " + link + "\n";
    std::string out = "  anti-spoofing: " + mode + " on " + link + ", may send from " +
                      join(list(a, "addresses"));
    const json& offenders = list(a, "offenders");
    if (offenders.empty()) return out + "; no offenders\n";
    Table t({"SOURCE", "PACKETS", "DROPPED", "FIRST SEEN", "LAST SEEN"});
    for (auto& o : offenders)
        t.add({cell(o, "source"), cell(o, "packets"), cell(o, "dropped"),
               format_age(as_int(o, "firstSeenNs"), now_ns),
               format_age(as_int(o, "lastSeenNs"), now_ns)});
    out += "\n";
    const std::string table = t.str();
    for (size_t pos = 0; pos < table.size();) {
        const size_t nl = table.find('\n', pos);
        out += "    " + table.substr(pos, nl - pos + 1);
        pos = nl + 1;
    }
    return out;
}

}  // namespace warren::ctl
