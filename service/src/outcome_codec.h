// Private to the service module: the binary snapshot of an intent view (commands.h
// IntentSnapshot), written by the intent handlers on the writer.
#pragma once

#include <string>

#include "splitledger/service/commands.h"

namespace splitledger::service {

// The id of the intent a snapshot holds (its first field), without decoding the rest.
std::string IntentIdOf(const IntentSnapshot& snapshot);

IntentSnapshot EncodeIntentView(const Intent& intent, const IntentFigures& figures,
                                IntentAction action, const std::string& action_id);

}  // namespace splitledger::service
