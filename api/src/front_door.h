// The front door: an HTTP/1.1 server in which no thread is held by an idle or slow connection.
//
// One reactor thread (Poco::Net::PollSet, epoll) owns every socket: it accepts, reads and
// parses requests with header and body deadlines, and hands each complete request to a worker
// pool. A worker runs the handler, which answers through a Responder: at once, or later from
// another thread (a reply that waits for the writer holds no worker). The reply goes out with a
// non-blocking write; a reply the peer does not take at once is finished by the reactor. So a
// thousand connections that send half a request, or none, cost a thousand buffers and no thread,
// and /healthz keeps answering. TLS listeners (tls.h) are served by the same reactor: the
// handshake, reads and writes are non-blocking OpenSSL calls on the connection's socket, and a
// handshake must finish within the header deadline.
//
// Contracts:
//  * The handler runs on a worker thread, once per request, in order per connection (a
//    pipelined request waits for the reply to the one before it, however late that is sent).
//  * Refusals the front door makes itself, without the handler: 400 (malformed request line or
//    headers), 408 (headers or body not complete within their deadline), 413 (body over
//    max_body_bytes; the rest of the body is read and dropped, then the connection closes), 431
//    (headers over max_header_bytes), 503 (max_connections reached, or max_queued requests
//    waiting for a worker). Each carries Connection: close, and a JSON body from `refusal`.
//  * Stop() stops accepting, lets in-flight requests finish (bounded; a request is in flight
//    until its Responder sends), closes everything.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http.h"
#include "tls.h"

namespace splitledger::api {

struct HttpRequest {
  std::string method;  // as sent (upper case by convention)
  std::string target;  // path and query
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  Poco::Net::SocketAddress peer;
  Poco::Net::SocketAddress local;
  Transport transport = Transport::kPlain;
  std::string client_cert;  // kMtls: hex SHA-256 fingerprint of the peer's certificate

  // The first header of that (lower-case) name.
  const std::string* Header(std::string_view lower_name) const;
  std::string HeaderOr(std::string_view lower_name, std::string fallback = {}) const;
};

// Sends the reply to one request, once, from any thread: the handler's, or a later one. A
// responder destroyed without sending answers 500, so no request is left without a reply. It
// must not outlive its FrontDoor; once the FrontDoor has stopped, the connection is closed and
// the reply is dropped. Send never blocks: what the socket does not take, the reactor finishes.
class Responder {
 public:
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) = delete;  // would have to answer the request it drops
  ~Responder();

  void Send(const Reply& reply);

  // The connection and how the reply is framed: only the FrontDoor makes one.
  struct Target;
  explicit Responder(std::unique_ptr<Target> target);

 private:
  std::unique_ptr<Target> target_;
};

struct FrontDoorOptions {
  size_t workers = 256;      // threads running handlers (requests in flight, not connections)
  size_t max_queued = 4096;  // complete requests waiting for a worker
  size_t max_connections = 10000;
  int64_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 64 << 10;
  int header_timeout_ms = 10000;      // from a request's first byte to its blank line
  int body_timeout_ms = 30000;        // from the blank line to the body's last byte
  int keep_alive_timeout_ms = 15000;  // an idle connection between requests
  int write_timeout_ms = 30000;       // a reply the peer does not read
};

class FrontDoor {
 public:
  // Answers a request through the Responder (now or later).
  using Handler = std::function<void(HttpRequest&, Responder)>;
  // The reply to a refusal the front door makes itself; `target` is the request's path when
  // known (so the error speaks the path's dialect), else empty.
  using Refusal = std::function<Reply(int status, const std::string& type,
                                      const std::string& message, std::string_view target)>;

  FrontDoor(FrontDoorOptions options, Handler handler, Refusal refusal);
  ~FrontDoor();  // Stop()s

  // A bound, listening socket; with `tls`, connections speak TLS (kMtls when the context
  // requires a client certificate).
  struct Listener {
    Poco::Net::ServerSocket socket;
    std::shared_ptr<const TlsContext> tls;
  };
  // Starts the reactor (one for every listener) and the workers.
  void Start(std::vector<Listener> listeners);
  // Stops accepting, waits up to `grace_ms` for in-flight requests, closes every connection.
  void Stop(int grace_ms = 6000);

  size_t connections() const { return connections_.load(std::memory_order_relaxed); }
  size_t refused_connections() const { return refused_.load(std::memory_order_relaxed); }
  size_t failed_handshakes() const { return failed_handshakes_.load(std::memory_order_relaxed); }

 private:
  friend struct Responder::Target;
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<size_t> connections_{0};
  std::atomic<size_t> refused_{0};
  std::atomic<size_t> failed_handshakes_{0};
};

// The reply as bytes on the wire: status line, the reply's headers, Content-Type,
// Content-Length, Date, and Connection: close when `close`. `head` omits the body.
std::string SerializeReply(const Reply& reply, bool close, bool head);

}  // namespace splitledger::api
