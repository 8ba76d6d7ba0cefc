// Who is calling, as far as the service can tell: the seam where the
// trustworthy-service issue will plug in authentication and roles.
#ifndef WHOKNOWS_API_CALLER_H_
#define WHOKNOWS_API_CALLER_H_

namespace grpc {
class ServerContextBase;
}

namespace whoknows::api {

struct Caller {
  // May see person-level network results (brokers, isolated people, ...).
  bool hr = false;
};

struct CallerOptions {
  // Believe the `x-whoknows-role: hr` request metadata. Anyone can send it,
  // so this is for development and demos only, until authenticated roles
  // arrive; off, every caller is treated as having no role.
  bool trust_role_metadata = false;
};

// The only place that decides a caller's role; everything else asks it.
Caller CallerFrom(const grpc::ServerContextBase& context,
                  const CallerOptions& options);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_CALLER_H_
