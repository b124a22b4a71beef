// What the NatsPublisher and the NatsIngest share of the NATS C client
// (cnats): a connection that never gives up, and readable errors.
//
// Thread contract: both functions are safe from any thread.
#ifndef TAGWIRE_SERVICE_NATS_CONNECT_H_
#define TAGWIRE_SERVICE_NATS_CONNECT_H_

#include <nats/nats.h>

#include <string>

#include "absl/status/statusor.h"

namespace tagwire {

// "timeout", or "stream not found (10059)" with a JetStream error code.
std::string NatsErrorText(natsStatus status, jsErrCode js_error = static_cast<jsErrCode>(0));

// Connects to `url` (comma-separated for a cluster) without waiting for the
// broker: the connection is retried in the background, and again after any
// disconnect, for ever. `name` identifies it to the broker. With
// `log_events`, its ups and downs are logged (nats_connected,
// nats_disconnected, nats_reconnected). InvalidArgument for a bad URL.
absl::StatusOr<natsConnection*> ConnectNats(const std::string& url, const char* name,
                                            bool log_events);

}  // namespace tagwire

#endif  // TAGWIRE_SERVICE_NATS_CONNECT_H_
