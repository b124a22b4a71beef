#include "service/nats_connect.h"

#include "core/strings.h"
#include "service/log.h"

namespace tagwire {
namespace {

void OnConnected(natsConnection*, void*) { LogInfo("nats_connected"); }
void OnDisconnected(natsConnection*, void*) { LogWarning("nats_disconnected"); }
void OnReconnected(natsConnection*, void*) { LogInfo("nats_reconnected"); }

}  // namespace

std::string NatsErrorText(natsStatus status, jsErrCode js_error) {
  std::string text = natsStatus_GetText(status);
  if (js_error != 0) StrAppend(&text, " (", static_cast<int>(js_error), ")");
  return text;
}

absl::StatusOr<natsConnection*> ConnectNats(const std::string& url, const char* name,
                                            bool log_events) {
  natsOptions* options = nullptr;
  natsStatus status = natsOptions_Create(&options);
  if (status == NATS_OK) status = natsOptions_SetURL(options, url.c_str());
  if (status == NATS_OK) status = natsOptions_SetName(options, name);
  if (status == NATS_OK) status = natsOptions_SetMaxReconnect(options, -1);  // for ever
  if (status == NATS_OK) status = natsOptions_SetReconnectWait(options, 250);
  if (status == NATS_OK) status = natsOptions_SetReconnectBufSize(options, 64 << 20);
  if (status == NATS_OK) {
    status = natsOptions_SetRetryOnFailedConnect(options, true,
                                                 log_events ? &OnConnected : nullptr, nullptr);
  }
  if (status == NATS_OK && log_events) {
    status = natsOptions_SetDisconnectedCB(options, &OnDisconnected, nullptr);
  }
  if (status == NATS_OK && log_events) {
    status = natsOptions_SetReconnectedCB(options, &OnReconnected, nullptr);
  }
  natsConnection* connection = nullptr;
  if (status == NATS_OK) {
    status = natsConnection_Connect(&connection, options);
    // Not connected yet is fine: the library keeps trying in the background.
    if (status == NATS_NOT_YET_CONNECTED) status = NATS_OK;
  }
  natsOptions_Destroy(options);
  if (status != NATS_OK) {
    return absl::InvalidArgumentError(
        StrCat("NATS connection to ", url, ": ", NatsErrorText(status)));
  }
  return connection;
}

}  // namespace tagwire
