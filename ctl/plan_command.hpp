#pragma once
// `warrenctl plan`: offline (no agent, no admin socket). Flags or --clusters FILE in, the
// capacity table and findings out. Exit 0 without errors (notes and warnings allowed), 1 with
// errors, 2 on usage errors.
#include "args.hpp"
#include "run.hpp"

namespace warren::ctl {

int run_plan(const Invocation& inv, const Io& io);

}  // namespace warren::ctl
