// CredentialFingerprint: a stand-in for a credential where one must be
// compared or used as a key without keeping the credential itself (e.g. the
// stream hub's key of calls that may share an upstream stream).
#ifndef NEOBRIDGE_BRIDGE_SECURITY_CREDENTIAL_FINGERPRINT_H_
#define NEOBRIDGE_BRIDGE_SECURITY_CREDENTIAL_FINGERPRINT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace neobridge::security {

// HMAC-SHA-256 of `credential` under a random key made once per process, as
// 64 hex digits. Equal credentials give equal fingerprints within a process;
// a fingerprint reveals nothing of the credential and cannot be checked
// against a guess outside the process.
std::string CredentialFingerprint(absl::string_view credential);

}  // namespace neobridge::security

#endif  // NEOBRIDGE_BRIDGE_SECURITY_CREDENTIAL_FINGERPRINT_H_
