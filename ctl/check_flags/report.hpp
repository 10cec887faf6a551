#pragma once
// `warrenctl check-flags`: gather, check, print. Offline: no agent is asked anything.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "check_flags/gather.hpp"

namespace warren::check_flags {

struct Report {
    std::string root;
    Observed observed;
    std::vector<plan::Finding> findings;  // read problems and rule findings, errors first
    size_t count(plan::Severity s) const;
};

Report make_report(const Sources& sources, Observed observed);

// {"root", "components", "read": [{component, flag, value, source}],
//  "findings": [{severity, rule, reason, fix}], "errors", "warnings", "notes"}
nlohmann::json to_json(const Report& report);
// What was read (component, flag, value, source), then the findings with their fixes.
std::string render(const Report& report);

// Exit code: 0 no errors, 1 error findings, 2 a bad --from-args (message on `err`).
int run(const Sources& sources, bool json, std::ostream& out, std::ostream& err);

}  // namespace warren::check_flags
