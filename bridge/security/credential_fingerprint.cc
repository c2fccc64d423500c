#include "bridge/security/credential_fingerprint.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>

namespace neobridge::security {
namespace {

using Key = std::array<unsigned char, 32>;

const Key& ProcessKey() {
  static const Key* const key = [] {
    auto* made = new Key();
    if (RAND_bytes(made->data(), static_cast<int>(made->size())) != 1) {
      // No randomness: nothing safe to fall back to.
      std::abort();
    }
    return made;
  }();
  return *key;
}

}  // namespace

std::string CredentialFingerprint(absl::string_view credential) {
  static constexpr char kHex[] = "0123456789abcdef";
  const Key& key = ProcessKey();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(credential.data()),
       credential.size(), digest, &length);
  std::string text;
  text.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 0xF]);
  }
  return text;
}

}  // namespace neobridge::security
