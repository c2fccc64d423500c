// Reading samples out of a Prometheus text exposition, for the tests.
#ifndef NEOBRIDGE_BRIDGE_METRICS_TEST_UTIL_H_
#define NEOBRIDGE_BRIDGE_METRICS_TEST_UTIL_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace neobridge::metrics::testing {

// The value of the sample named exactly `series` (metric name and labels as
// exposed, labels sorted by name: `x_total{a="1",b="2"}`) in `text`;
// nullopt when no line has it.
std::optional<double> SampleValue(absl::string_view text,
                                  absl::string_view series);

}  // namespace neobridge::metrics::testing

#endif  // NEOBRIDGE_BRIDGE_METRICS_TEST_UTIL_H_
