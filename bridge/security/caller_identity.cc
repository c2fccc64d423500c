#include "bridge/security/caller_identity.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace neobridge::security {
namespace {

// TLS, as the TLS (grpc::experimental::TlsServerCredentials, "tls") and the
// older SSL ("ssl") server credentials report it.
bool IsTlsTransport(const grpc::AuthContext& auth_context) {
  for (const grpc::string_ref& type : auth_context.FindPropertyValues(
           GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME)) {
    if (type == GRPC_SSL_TRANSPORT_SECURITY_TYPE ||
        type == GRPC_TLS_TRANSPORT_SECURITY_TYPE) {
      return true;
    }
  }
  return false;
}

void AddNames(const grpc::AuthContext& auth_context, const char* property,
              std::vector<std::string>* names) {
  for (const grpc::string_ref& value :
       auth_context.FindPropertyValues(property)) {
    std::string name(value.data(), value.size());
    if (name.empty()) continue;
    if (std::find(names->begin(), names->end(), name) == names->end()) {
      names->push_back(std::move(name));
    }
  }
}

}  // namespace

CallerIdentity IdentityOf(const grpc::AuthContext* auth_context,
                          std::string peer) {
  CallerIdentity identity;
  identity.peer = std::move(peer);
  // gRPC marks the peer authenticated when the verified certificate gave it
  // an identity (its SANs, else its common name); without a client
  // certificate the context holds the transport type only.
  if (auth_context == nullptr || !auth_context->IsPeerAuthenticated() ||
      !IsTlsTransport(*auth_context)) {
    return identity;
  }
  AddNames(*auth_context, GRPC_X509_SAN_PROPERTY_NAME, &identity.names);
  AddNames(*auth_context, GRPC_X509_CN_PROPERTY_NAME, &identity.names);
  AddNames(*auth_context, GRPC_X509_SUBJECT_PROPERTY_NAME, &identity.names);
  identity.authenticated_by_certificate = !identity.names.empty();
  return identity;
}

CallerIdentity IdentityOf(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth_context =
      context.auth_context();
  return IdentityOf(auth_context.get(), context.peer());
}

}  // namespace neobridge::security
