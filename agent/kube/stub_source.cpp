#include "kube/source.hpp"

namespace warren::kube {

Result<std::unique_ptr<Source>> make_api_source(const Settings&) {
    return fail(Code::invalid_config, "built without the Kubernetes client");
}

}  // namespace warren::kube
