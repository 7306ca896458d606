// Why a line was rejected (SPEC §3). The code is stable and machine-readable (it is what
// dashboards group by); the detail names the field and the offending value for a human.
#pragma once

#include <cstdint>
#include <string>

namespace d2d::events {

enum class RejectCode : std::uint8_t {
  InvalidJson,       // not parseable JSON, including truncated lines
  InvalidUtf8,       // bytes that are not UTF-8
  NotAnObject,       // valid JSON, but an array, number, string, null ...
  TrailingGarbage,   // something after the object on the same line
  DuplicateField,    // the same key twice in one object: ambiguous, so refused
  MissingField,      // a required field is absent
  WrongType,         // a field has the wrong JSON type (or is null where not allowed)
  EmptyId,           // data.id is ""
  InvalidTimestamp,  // malformed, zone-less or impossible RFC 3339 value
  OutOfRange,        // lat outside [-90, 90] or lng outside [-180, 180]
  UnknownEvent,      // an on/event pair SPEC §3 does not list
  InvalidWindow,     // operating period with start > finish, or longer than the maximum
  NulInString,       // a string d2d keeps (data.id, organization_id) contains U+0000
  LineTooLong,       // longer than the maximum line length: skipped, never held whole
};

const char* reject_code_name(RejectCode code);

struct Reject {
  RejectCode code = RejectCode::InvalidJson;
  std::string detail;  // e.g. "field data.location.lat: expected a number, got string"
  // The whole human-readable reason, e.g. "wrong_type: field data.location.lat: expected ..."
  std::string reason() const;
};

}  // namespace d2d::events
