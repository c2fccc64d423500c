// Who is calling, as far as the transport proves it: the names in a client
// certificate that the TLS listener verified (mTLS). Nothing here trusts
// metadata the caller sends.
#ifndef NEOBRIDGE_BRIDGE_SECURITY_CALLER_IDENTITY_H_
#define NEOBRIDGE_BRIDGE_SECURITY_CALLER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include <string>
#include <vector>

namespace neobridge::security {

struct CallerIdentity {
  // The verified client certificate's names, duplicates removed, in this
  // order: its subject alternative names as gRPC reports them (DNS names,
  // URIs such as "spiffe://acme/ns/ci/sa/deployer", e-mail addresses, IP
  // addresses), its subject common name, and its full subject (e.g.
  // "CN=deployer,O=acme"). Empty without a verified certificate.
  std::vector<std::string> names;
  // True when the connection is TLS and the client presented a certificate
  // that the listener verified against --tls-client-ca-file.
  bool authenticated_by_certificate = false;
  // The peer's transport address (e.g. "ipv4:10.0.0.7:41234"), for logs;
  // never an identity.
  std::string peer;
};

// The identity of the caller of the RPC `context` belongs to. Call it on a
// thread serving that RPC, before the RPC finishes. Relies on the listener
// verifying every client certificate it accepts, which MakeServerCredentials
// guarantees (it never uses gRPC's "request but don't verify" modes).
CallerIdentity IdentityOf(const grpc::ServerContextBase& context);

// The same from an auth context (null: no identity) and a peer address.
CallerIdentity IdentityOf(const grpc::AuthContext* auth_context,
                          std::string peer);

}  // namespace neobridge::security

#endif  // NEOBRIDGE_BRIDGE_SECURITY_CALLER_IDENTITY_H_
