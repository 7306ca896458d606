#include "server/http_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "core/error.h"
#include "server/auth.h"
#include "server/bounded_server.h"
#include "server/html.h"
#include "server/pages.h"

namespace d2d::server {

HttpServer::HttpServer(HttpOptions options, warehouse::WarehouseOptions warehouse, const Scheduler* scheduler)
    : m_options(std::move(options)),
      m_warehouse_options(std::move(warehouse)),
      m_scheduler(scheduler),
      m_server(std::make_unique<BoundedServer>()) {
  routes();
}

HttpServer::~HttpServer() = default;

template <typename Read>
auto HttpServer::with_warehouse(Read&& read) -> decltype(read(std::declval<warehouse::Warehouse&>())) {
  std::lock_guard lock(m_warehouse_mutex);
  try {
    if (!m_warehouse) {
      // The pages only read (SPEC §6): a missing or outdated warehouse is the page's error, and
      // the next request tries again (the scheduler, when there is one, creates and migrates it).
      warehouse::WarehouseOptions options = m_warehouse_options;
      options.read_only = true;
      m_warehouse = warehouse::open_warehouse(options);
    }
    return read(*m_warehouse);
  } catch (...) {
    m_warehouse.reset();  // reconnect on the next request
    throw;
  }
}

void HttpServer::routes() {
  BoundedServer& server = *m_server;
  auto scheduler_state = [this]() -> std::optional<SchedulerState> {
    if (m_scheduler == nullptr) return std::nullopt;
    return m_scheduler->state();
  };

  if (!m_options.auth_token.empty()) {
    // Before routing, so that no handler runs and no body is read for a stranger. /healthz stays
    // open for load balancers and container health checks; it shows no fleet data.
    server.set_pre_routing_handler([check = TokenCheck(m_options.auth_token)](const httplib::Request& request,
                                                                              httplib::Response& response) {
      if (request.path == "/healthz" || check.accepts(request.get_header_value("Authorization")))
        return httplib::Server::HandlerResponse::Unhandled;
      spdlog::debug("http: {} {} from {}: no valid token", request.method, request.path, request.remote_addr);
      response.status = 401;
      response.set_header("WWW-Authenticate", std::string(kAuthChallenge));
      response.set_content(
          "authentication required: the token as a bearer token or as the HTTP Basic password\n",
          "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    });
    m_options.auth_token.clear();  // only its digest is kept
  }

  server.Get("/", [this, scheduler_state](const httplib::Request& request, httplib::Response& response) {
    StatusPageData data;
    data.now = system_now();
    data.scheduler = scheduler_state();
    data.before = request.get_param_value("before");
    if (!data.before.empty() && !core::parse_date(data.before))
      throw core::Error(core::ErrorKind::Usage, "before must be YYYY-MM-DD");
    if (const std::string refresh = request.get_param_value("refresh"); !refresh.empty()) {
      // A bound below keeps a shared link from hammering the warehouse.
      const int seconds = std::atoi(refresh.c_str());
      if (refresh.size() > 4 || refresh.find_first_not_of("0123456789") != std::string::npos || seconds < 5 ||
          seconds > 3600)
        throw core::Error(core::ErrorKind::Usage, "refresh must be a number of seconds from 5 to 3600");
      data.refresh_s = seconds;
    }
    with_warehouse([&](warehouse::Warehouse& w) {
      data.runs = w.ledger().runs({});
      data.newest_fix_at = w.queries().newest_fix_at();
      data.selected_date = request.get_param_value("date");
      if (data.selected_date.empty() && !data.runs.empty()) {
        // The newest date that has run (on the page shown), like Airflow opening on the latest DAG run.
        for (const auto& run : data.runs) {
          if (data.before.empty() || run.lake_date < data.before)
            data.selected_date = std::max(data.selected_date, run.lake_date);
        }
      }
      if (!data.selected_date.empty()) {
        if (!core::parse_date(data.selected_date))
          throw core::Error(core::ErrorKind::Usage, "date must be YYYY-MM-DD");
        data.rejects = w.queries().reject_reasons(data.selected_date, 3);
      }
    });
    response.set_content(render_status_page(data), "text/html; charset=utf-8");
  });

  server.Get("/report", [this](const httplib::Request& request, httplib::Response& response) {
    ReportPageData data;
    with_warehouse([&](warehouse::Warehouse& w) {
      data.answers = w.queries().report({});
      data.selected_period = request.get_param_value("period");
      if (data.selected_period.empty()) {
        for (const auto& answer : data.answers) {
          if (answer.vehicles > 0) {
            data.selected_period = answer.operating_period_id;
            break;
          }
        }
      }
      if (data.selected_period.empty()) return;
      const auto vehicles = w.queries().period_vehicles(data.selected_period);
      data.vehicles_total = vehicles.size();
      data.period_found = std::any_of(data.answers.begin(), data.answers.end(), [&](const auto& a) {
        return a.operating_period_id == data.selected_period;
      });
      for (const auto& vehicle : vehicles) {
        if (data.tracks.size() >= m_options.max_tracks) break;
        if (auto track = w.queries().vehicle_track(data.selected_period, vehicle.vehicle_id)) {
          data.tracks.push_back({vehicle, std::move(*track)});
        }
      }
    });
    response.set_content(render_report_page(data), "text/html; charset=utf-8");
  });

  server.Get("/metrics", [this, scheduler_state](const httplib::Request&, httplib::Response& response) {
    Freshness freshness;
    const auto runs = with_warehouse([&freshness](warehouse::Warehouse& w) {
      freshness.newest_fix_at = w.queries().newest_fix_at();
      return w.ledger().runs({});
    });
    freshness.now = system_now();
    response.set_content(render_metrics(runs, scheduler_state(), freshness),
                         "text/plain; version=0.0.4; charset=utf-8");
  });

  server.Get("/healthz", [this, scheduler_state](const httplib::Request&, httplib::Response& response) {
    // Healthy when the warehouse answers; the scheduler's state is there for people.
    const auto latest = with_warehouse([](warehouse::Warehouse& w) {
      return w.ledger().runs({std::nullopt, true});
    });
    const auto state = scheduler_state();
    std::string scheduler = "off";
    if (state) scheduler = state->running ? "running " + *state->running : "idle";
    response.set_content(
        fmt::format("ok\nlake dates in ledger: {}\nscheduler: {}\n", latest.size(), scheduler),
        "text/plain; charset=utf-8");
  });

  server.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, const std::exception_ptr& error) {
        std::string message = "unknown error";
        int status = 500;
        try {
          std::rethrow_exception(error);
        } catch (const core::Error& failure) {
          message = failure.what();
          status = failure.kind() == core::ErrorKind::Usage ? 400 : 503;
        } catch (const std::exception& failure) {
          message = failure.what();
        }
        spdlog::warn("http: {} {}: {}", request.method, request.path, message);
        response.status = status;
        if (request.path == "/metrics" || request.path == "/healthz") {
          response.set_content(message + "\n", "text/plain; charset=utf-8");
        } else {
          response.set_content(
              page_document("Error", "",
                            fmt::format("<section><h2>Cannot show this page</h2><p>{}</p></section>",
                                        html_escape(message))),
              "text/html; charset=utf-8");
        }
      });
}

int HttpServer::bind() {
  const int port = m_server->bind(m_options.bind, m_options.port);
  if (port < 0) {
    throw core::Error(core::ErrorKind::Usage,
                      fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)",
                                  m_options.bind, m_options.port));
  }
  return port;
}

void HttpServer::listen() { m_server->listen_after_bind(); }

void HttpServer::stop() { m_server->stop(); }

}  // namespace d2d::server
