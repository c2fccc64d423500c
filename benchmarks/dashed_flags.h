// ParseDashedCommandLine: absl flags for the load tools, which document
// their flags with dashes (--task-ids) while absl names them with
// underscores (task_ids).
#ifndef NEOBRIDGE_BENCHMARKS_DASHED_FLAGS_H_
#define NEOBRIDGE_BENCHMARKS_DASHED_FLAGS_H_

namespace neobridge::bench {

// absl::ParseCommandLine after turning dashes into underscores in every
// "--flag-name" (up to any "="); values are left as they are.
void ParseDashedCommandLine(int argc, char** argv);

}  // namespace neobridge::bench

#endif  // NEOBRIDGE_BENCHMARKS_DASHED_FLAGS_H_
