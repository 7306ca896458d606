// Errors that end a run. Expected per-record failures are values (see expected.h);
// these exceptions carry the one line the user sees and the exit status main() maps them to.
#pragma once

#include <stdexcept>
#include <string>

namespace d2d::core {

enum class ErrorKind {
  Usage,      // bad flags, bad config, a date that is not a date: exit 2
  Input,      // missing source, unreadable or corrupt object: exit 1
  Warehouse,  // cannot open, migrate or write the warehouse: exit 1
  Internal,   // a bug: exit 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, bool transient = false)
      : std::runtime_error(message), m_kind(kind), m_transient(transient) {}
  ErrorKind kind() const { return m_kind; }
  // True when trying again may succeed (a connection lost, a server restarting).
  bool transient() const { return m_transient; }

 private:
  ErrorKind m_kind;
  bool m_transient;
};

inline int exit_code_for(ErrorKind kind) { return kind == ErrorKind::Usage ? 2 : 1; }

}  // namespace d2d::core
