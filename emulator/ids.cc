#include "emulator/ids.h"

#include "absl/strings/str_format.h"

namespace neo_emulator {
namespace {

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

IdSource::IdSource(uint64_t seed, uint64_t stream)
    : state_(Mix(seed + 0x9e3779b97f4a7c15ULL) ^
             Mix(stream * 0xd1b54a32d192ed03ULL + 1)) {}

uint64_t IdSource::NextU64() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return Mix(state_);
}

std::string IdSource::NextUuid() {
  const uint64_t high = NextU64();
  const uint64_t low = NextU64();
  return FormatUuid(high, low);
}

std::string IdSource::NextHex(int digits) {
  if (digits < 1) digits = 1;
  if (digits > 16) digits = 16;
  const std::string full = absl::StrFormat("%016x", NextU64());
  return full.substr(0, static_cast<size_t>(digits));
}

std::string FormatUuid(uint64_t high, uint64_t low) {
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32,
                         (high >> 16) & 0xffff, high & 0xffff, low >> 48,
                         low & 0xffffffffffffULL);
}

}  // namespace neo_emulator
