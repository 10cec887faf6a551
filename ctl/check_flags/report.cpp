#include "check_flags/report.hpp"

#include <algorithm>

#include "check_flags/check.hpp"

namespace warren::check_flags {

namespace {

std::string pad(std::string s, size_t width) {
    if (s.size() < width) s.resize(width, ' ');
    return s;
}

std::string plural(size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

size_t Report::count(plan::Severity s) const {
    return static_cast<size_t>(std::count_if(
        findings.begin(), findings.end(), [&](const plan::Finding& f) { return f.severity == s; }));
}

Report make_report(const Sources& sources, Observed observed) {
    Report r{sources.root, std::move(observed), {}};
    r.findings = r.observed.findings;
    auto rules = check(r.observed);
    r.findings.insert(r.findings.end(), rules.begin(), rules.end());
    std::stable_sort(
        r.findings.begin(), r.findings.end(),
        [](const plan::Finding& a, const plan::Finding& b) { return a.severity < b.severity; });
    return r;
}

nlohmann::json to_json(const Report& r) {
    nlohmann::json read = nlohmann::json::array();
    for (auto& s : r.observed.settings)
        read.push_back({{"component", s.component},
                        {"flag", s.flag},
                        {"key", s.key},
                        {"value", s.value},
                        {"source", s.source}});
    nlohmann::json findings = nlohmann::json::array();
    for (auto& f : r.findings)
        findings.push_back({{"severity", plan::severity_name(f.severity)},
                            {"rule", f.rule},
                            {"reason", f.reason},
                            {"fix", f.fix}});
    return {{"root", r.root},
            {"components", r.observed.components},
            {"read", std::move(read)},
            {"findings", std::move(findings)},
            {"errors", r.count(plan::Severity::error)},
            {"warnings", r.count(plan::Severity::warning)},
            {"notes", r.count(plan::Severity::note)}};
}

std::string render(const Report& r) {
    size_t wc = 9, wf = 4, wv = 5;
    for (auto& s : r.observed.settings) {
        wc = std::max(wc, s.component.size());
        wf = std::max(wf, s.flag.size());
        wv = std::max(wv, s.value.size());
    }
    std::string out = "read under " + r.root + ":\n";
    if (r.observed.settings.empty()) {
        out += "  (nothing)\n";
    } else {
        out += "  " + pad("COMPONENT", wc + 2) + pad("FLAG", wf + 2) + pad("VALUE", wv + 2) +
               "SOURCE\n";
        for (auto& s : r.observed.settings)
            out += "  " + pad(s.component, wc + 2) + pad(s.flag, wf + 2) + pad(s.value, wv + 2) +
                   s.source + "\n";
    }
    out += "\n";
    if (r.findings.empty()) return out + "no findings: the flags agree\n";
    out += "findings: " + plural(r.count(plan::Severity::error), "error") + ", " +
           plural(r.count(plan::Severity::warning), "warning") + ", " +
           plural(r.count(plan::Severity::note), "note") + "\n";
    for (auto& f : r.findings) {
        out += "  " + pad(std::string(plan::severity_name(f.severity)), 8) + f.rule + ": " +
               f.reason + "\n";
        if (!f.fix.empty()) out += "          fix: " + f.fix + "\n";
    }
    return out;
}

int run(const Sources& sources, bool json, std::ostream& out, std::ostream& err) {
    auto observed = gather(sources);
    if (!observed) {
        err << "warrenctl: check-flags: " << observed.error().message << "\n";
        return 2;
    }
    const Report report = make_report(sources, std::move(*observed));
    if (json)
        out << to_json(report).dump(2) << "\n";
    else
        out << render(report);
    return report.count(plan::Severity::error) > 0 ? 1 : 0;
}

}  // namespace warren::check_flags
