// Deterministic identifiers for the emulator: every UUID and opaque id the
// emulator hands out comes from a seeded SplitMix64 stream, so two runs with
// the same seed and the same request sequence produce the same ids.
#ifndef NEO_EMULATOR_IDS_H_
#define NEO_EMULATOR_IDS_H_

#include <cstdint>
#include <string>

namespace neo_emulator {

// A seeded stream of pseudo-random 64-bit values. Distinct `stream` values
// give independent sequences for the same seed (one per task, one for task
// ids, one for request ids). Not thread-safe; owned by one thread.
class IdSource {
 public:
  IdSource(uint64_t seed, uint64_t stream);

  uint64_t NextU64();
  // A lowercase RFC 4122 version-4 shaped UUID, e.g.
  // "3f0c2a4e-9d1b-4c7e-8a55-0e1f2d3c4b5a".
  std::string NextUuid();
  // `digits` lowercase hex characters (1..16).
  std::string NextHex(int digits);

 private:
  uint64_t state_;
};

// Formats two 64-bit halves as a version-4 UUID string.
std::string FormatUuid(uint64_t high, uint64_t low);

// Streams reserved for process-wide sequences; per-task streams start at
// kFirstTaskStream + task sequence number.
inline constexpr uint64_t kTaskIdStream = 1;
inline constexpr uint64_t kRequestIdStream = 2;
inline constexpr uint64_t kFirstTaskStream = 1000;

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_IDS_H_
