#include "hook_delivery.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <memory>

#include "http.h"

namespace splitledger::api {

HookDeliverer::HookDeliverer(service::Service& service, HookDeliveryOptions options, Logger& log)
    : service_(service), options_(std::move(options)), log_(log) {}

HookDeliverer::~HookDeliverer() { Stop(); }

void HookDeliverer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void HookDeliverer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

OutboundResult SendOutbound(const std::string& method, const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, int timeout_ms) {
  OutboundResult out;
  try {
    Poco::URI uri(url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort());
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    Poco::Timespan timeout(0, timeout_ms * 1000);
    session->setTimeout(timeout, timeout, timeout);
    Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == Poco::Net::HTTPRequest::HTTP_POST) {
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session->sendRequest(req) << body;
    Poco::Net::HTTPResponse res;
    std::istream& answer = session->receiveResponse(res);
    answer.ignore(1 << 16);  // drain a little; the answer's body means nothing
    out.status = static_cast<int>(res.getStatus());
    if (out.status < 200 || out.status >= 300) out.error = "HTTP " + std::to_string(out.status);
  } catch (const Poco::Exception& e) {
    out.error = e.displayText().empty() ? std::string(e.name()) : e.displayText();
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

std::string HookDeliverer::Send(const service::DueDelivery& d) const {
  std::string url;
  try {
    Poco::URI uri(d.url);
    uri.addQueryParameter("EventType", d.event_type);
    uri.addQueryParameter("RessourceId", d.resource_id);  // sic: Echo spells it with two s
    uri.addQueryParameter("Date", std::to_string(d.date));
    url = uri.toString();
  } catch (const Poco::Exception& e) {
    return e.displayText();
  }
  return SendOutbound(Poco::Net::HTTPRequest::HTTP_GET, url, {{"User-Agent", "splitledger-hooks"}},
                      "", options_.timeout_ms)
      .error;
}

void HookDeliverer::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stop_; });
      if (stop_) return;
    }
    service::Envelope take{{"", NowMs()}, service::TakeDueDeliveries{options_.batch}, std::nullopt};
    service::Outcome due = service_.Execute(std::move(take));
    if (!due.ok()) continue;  // the writer is stopping or failed: try again next round
    const auto& items = std::get<service::DeliveryBatch>(due.value).items;
    if (items.empty()) continue;
    service::RecordDeliveries record;
    record.retry_delays_ms = options_.retry_delays_ms;
    record.max_failures = options_.max_failures;
    for (const service::DueDelivery& d : items) {
      std::string error = Send(d);
      if (!error.empty()) {
        log_.Write(LogLevel::kWarn, "hook delivery failed",
                   "\"url\":" + JsonQuote(d.url) + ",\"event_type\":" + JsonQuote(d.event_type) +
                       ",\"resource_id\":" + JsonQuote(d.resource_id) +
                       ",\"error\":" + JsonQuote(error));
      }
      record.results.push_back({d.id, error.empty(), error});
    }
    service::Envelope done{{"", NowMs()}, std::move(record), std::nullopt};
    (void)service_.Execute(std::move(done));  // not recorded: sent again (at least once)
  }
}

}  // namespace splitledger::api
