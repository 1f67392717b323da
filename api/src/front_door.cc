#include "front_door.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace splitledger::api {

const std::string* HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return &v;
  }
  return nullptr;
}

std::string HttpRequest::HeaderOr(std::string_view lower_name, std::string fallback) const {
  const std::string* v = Header(lower_name);
  return v ? *v : fallback;
}

namespace {

using Clock = std::chrono::steady_clock;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 421:
      return "Misdirected Request";
    case 504:
      return "Gateway Timeout";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// RFC 7231 IMF-fixdate, computed once per second.
std::string HttpDate() {
  thread_local time_t cached_at = 0;
  thread_local std::string cached;
  time_t now = std::time(nullptr);
  if (now != cached_at) {
    char buf[64];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buf;
    cached_at = now;
  }
  return cached;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Sends what the socket takes now; returns the bytes sent, or -1 when the peer is gone.
ssize_t SendSome(int fd, const char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::send(fd, data + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      done += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return -1;
  }
  return static_cast<ssize_t>(done);
}

// One connection. The reactor thread owns the socket's registration and closing; a worker holds
// the connection while it runs the handler and sends the reply. `mu` guards the state they share.
struct Conn {
  ~Conn() {
    if (ssl != nullptr) SSL_free(ssl);
  }
  enum class State {
    kIdle,     // between requests (keep-alive deadline)
    kHeaders,  // a request has begun (header deadline)
    kBody,     // headers complete, body incomplete (body deadline)
    kBusy,     // a worker has the request
    kWriting,  // the reply did not fit in the socket at once; the reactor finishes it
    kDiscard,  // refused with 413: reading and dropping the rest of the body, then closing
  };
  Poco::Net::StreamSocket socket;
  int fd = -1;
  Poco::Net::SocketAddress peer, local;
  Transport transport = Transport::kPlain;
  SSL* ssl = nullptr;             // TLS listeners: the session (all use under `mu`)
  bool handshaking = false;       // TLS handshake not finished yet
  bool handshake_writes = false;  // ... and it waits for the socket to take bytes
  std::string client_cert;        // kMtls: the verified peer certificate's fingerprint

  std::mutex mu;
  State state = State::kIdle;
  Clock::time_point deadline;
  std::string in;   // received, not yet part of a dispatched request
  std::string out;  // reply bytes still to send (kWriting)
  bool close_after_write = false;
  bool reading = true;  // registered for reads
  bool closed = false;  // the reactor closed it (a late worker must not touch the socket)
  // The request being parsed.
  size_t header_end = 0;  // bytes of request line + headers (+ blank line), 0 = not yet
  HttpRequest req;
  int64_t content_length = 0;
  bool chunked = false;
  bool continue_sent = false;
  int64_t discard_left = 0;
};

using ConnPtr = std::shared_ptr<Conn>;

// Sends what the connection takes now (through TLS when it has a session); the bytes sent, or
// -1 when the peer is gone. Call with `c.mu` held.
ssize_t Send(Conn& c, const char* data, size_t n) {
  if (c.ssl == nullptr) return SendSome(c.fd, data, n);
  size_t done = 0;
  while (done < n) {
    ERR_clear_error();
    int chunk = static_cast<int>(std::min<size_t>(n - done, 1 << 30));
    int w = SSL_write(c.ssl, data + done, chunk);
    if (w > 0) {
      done += static_cast<size_t>(w);
      continue;
    }
    int err = SSL_get_error(c.ssl, w);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) break;
    return -1;
  }
  return static_cast<ssize_t>(done);
}

// Reads what is there: > 0 bytes read, 0 the peer closed (or failed), -1 nothing now.
ssize_t Receive(Conn& c, char* buf, size_t n) {
  if (c.ssl == nullptr) {
    for (;;) {
      ssize_t r = ::recv(c.fd, buf, n, MSG_DONTWAIT);
      if (r > 0) return r;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
      return 0;
    }
  }
  ERR_clear_error();
  int r = SSL_read(c.ssl, buf, static_cast<int>(n));
  if (r > 0) return r;
  int err = SSL_get_error(c.ssl, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return -1;
  return 0;
}

// Tells a TLS peer the connection ends (close_notify, best effort), then shuts the socket down.
void ShutdownConn(Conn& c) {
  if (c.ssl != nullptr && !c.handshaking) {
    ERR_clear_error();
    SSL_shutdown(c.ssl);
  }
  ::shutdown(c.fd, SHUT_RDWR);
}

enum class ParseResult { kNeedMore, kComplete, kBad, kTooLarge, kHeadersTooLarge };

// Decodes a chunked body starting at `p`; kNeedMore until the last chunk and trailer arrived.
ParseResult DecodeChunked(std::string_view p, int64_t limit, std::string* body, size_t* used) {
  size_t pos = 0;
  body->clear();
  for (;;) {
    size_t eol = p.find("\r\n", pos);
    if (eol == std::string_view::npos)
      return p.size() - pos > 1024 ? ParseResult::kBad : ParseResult::kNeedMore;
    std::string_view size_line = p.substr(pos, eol - pos);
    if (size_t semi = size_line.find(';'); semi != std::string_view::npos)
      size_line = size_line.substr(0, semi);
    size_line = Trim(size_line);
    if (size_line.empty() || size_line.size() > 15) return ParseResult::kBad;
    int64_t n = 0;
    for (char c : size_line) {
      int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
              : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                          : -1;
      if (d < 0) return ParseResult::kBad;
      n = n * 16 + d;
    }
    pos = eol + 2;
    if (n == 0) {
      // Trailer fields, then the blank line.
      for (;;) {
        size_t end = p.find("\r\n", pos);
        if (end == std::string_view::npos) return ParseResult::kNeedMore;
        bool blank = end == pos;
        pos = end + 2;
        if (blank) {
          *used = pos;
          return ParseResult::kComplete;
        }
      }
    }
    if (static_cast<int64_t>(body->size()) + n > limit) return ParseResult::kTooLarge;
    if (p.size() < pos + static_cast<size_t>(n) + 2) return ParseResult::kNeedMore;
    body->append(p.substr(pos, static_cast<size_t>(n)));
    pos += static_cast<size_t>(n);
    if (p.substr(pos, 2) != "\r\n") return ParseResult::kBad;
    pos += 2;
  }
}

}  // namespace

std::string SerializeReply(const Reply& reply, bool close, bool head) {
  std::string out;
  out.reserve(256 + reply.body.size());
  out += "HTTP/1.1 " + std::to_string(reply.status) + " " + ReasonPhrase(reply.status) + "\r\n";
  for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
  if (!(reply.status == 204 && reply.body.empty()))
    out += "Content-Type: " + reply.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
  out += "Date: " + HttpDate() + "\r\n";
  out += close ? "Connection: close\r\n\r\n" : "\r\n";
  if (!head) out += reply.body;
  return out;
}

struct Responder::Target {
  FrontDoor::Impl* door;
  ConnPtr conn;
  bool close;
  bool head;
  std::string request_target;  // for the 500 of a responder dropped unsent
};

class FrontDoor::Impl {
 public:
  Impl(FrontDoor& owner, FrontDoorOptions options, Handler handler, Refusal refusal)
      : owner_(owner),
        options_(options),
        handler_(std::move(handler)),
        refusal_(std::move(refusal)) {}

  void Start(std::vector<Listener> listeners) {
    listeners_ = std::move(listeners);
    for (Listener& l : listeners_) {
      l.socket.setBlocking(false);
      poll_.add(l.socket, Poco::Net::PollSet::POLL_READ);
    }
    wake_.bind(Poco::Net::SocketAddress("127.0.0.1", 0));
    wake_.setBlocking(false);
    wake_address_ = wake_.address();
    wake_sender_ = Poco::Net::DatagramSocket(Poco::Net::SocketAddress::IPv4);
    wake_sender_fd_ = wake_sender_.impl()->sockfd();
    poll_.add(wake_, Poco::Net::PollSet::POLL_READ);
    for (size_t i = 0; i < options_.workers; ++i) {
      workers_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "sl-http-worker");
        WorkerLoop();
      });
    }
    reactor_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sl-reactor");
      ReactorLoop();
    });
  }

  void Stop(int grace_ms) {
    if (!reactor_.joinable()) return;
    accepting_ = false;
    // In-flight requests finish (their replies are sent) within the grace period.
    auto until = Clock::now() + std::chrono::milliseconds(grace_ms);
    while (in_flight_.load() > 0 && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop_ = true;
    Wake();
    reactor_.join();
    {
      std::lock_guard<std::mutex> lock(work_mu_);
      workers_stop_ = true;
      work_cv_.notify_all();
    }
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  }

 private:
  struct Work {
    ConnPtr conn;
    HttpRequest request;
    bool close = false;
    bool head = false;
  };
  enum class Msg { kWantWrite, kResume, kClose };

  // ------------------------------------------------------------------ reactor thread

  void ReactorLoop() {
    auto next_sweep = Clock::now();
    while (!stop_) {
      Poco::Net::PollSet::SocketModeMap ready;
      try {
        ready = poll_.poll(Poco::Timespan(0, 100 * 1000));
      } catch (const Poco::Exception&) {
        continue;
      }
      for (const auto& [socket, mode] : ready) {
        Listener* listener = nullptr;
        for (Listener& l : listeners_) {
          if (socket == l.socket) listener = &l;
        }
        if (listener != nullptr) {
          Accept(*listener);
        } else if (socket == wake_) {
          char buf[256];
          while (::recv(wake_.impl()->sockfd(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
          }
        } else {
          auto it = conns_.find(socket.impl()->sockfd());
          if (it == conns_.end()) continue;
          ConnPtr c = it->second;  // may be closed below
          if (mode & Poco::Net::PollSet::POLL_WRITE) OnWritable(c);
          if (mode & (Poco::Net::PollSet::POLL_READ | Poco::Net::PollSet::POLL_ERROR))
            OnReadable(c);
        }
      }
      DrainInbox();
      if (Clock::now() >= next_sweep) {
        Sweep();
        next_sweep = Clock::now() + std::chrono::milliseconds(100);
      }
    }
    for (auto& [fd, c] : std::unordered_map<int, ConnPtr>(conns_)) Close(c);
  }

  void Accept(Listener& listener) {
    for (;;) {
      Poco::Net::StreamSocket s;
      Poco::Net::SocketAddress peer;
      try {
        s = listener.socket.acceptConnection(peer);
      } catch (const Poco::Exception&) {
        return;  // nothing more to accept now (EAGAIN), or a transient error
      }
      if (!accepting_) {
        s.close();
        continue;
      }
      if (conns_.size() >= options_.max_connections) {
        owner_.refused_.fetch_add(1, std::memory_order_relaxed);
        if (listener.tls == nullptr) {  // a TLS peer could not read a plain answer
          std::string bytes = SerializeReply(
              refusal_(503, "service_unavailable", "Too many connections; retry later", {}), true,
              false);
          SendSome(s.impl()->sockfd(), bytes.data(), bytes.size());
        }
        s.close();
        continue;
      }
      s.setBlocking(false);
      s.setNoDelay(true);
      auto c = std::make_shared<Conn>();
      c->socket = s;
      c->fd = s.impl()->sockfd();
      c->peer = peer;
      try {
        c->local = s.address();
      } catch (const Poco::Exception&) {
      }
      c->deadline = Clock::now() + std::chrono::milliseconds(options_.keep_alive_timeout_ms);
      if (listener.tls != nullptr) {
        c->ssl = listener.tls->NewSession(c->fd);
        if (c->ssl == nullptr) {
          s.close();
          continue;
        }
        c->transport = listener.tls->requires_client_cert() ? Transport::kMtls : Transport::kTls;
        c->handshaking = true;
        c->deadline = Clock::now() + std::chrono::milliseconds(options_.header_timeout_ms);
      }
      conns_[c->fd] = c;
      owner_.connections_.store(conns_.size(), std::memory_order_relaxed);
      poll_.add(s, Poco::Net::PollSet::POLL_READ);
    }
  }

  // Advances a TLS handshake (lock held). False when the connection was closed.
  bool Handshake(const ConnPtr& c, std::unique_lock<std::mutex>& lock) {
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
      c->handshaking = false;
      if (c->handshake_writes) {
        c->handshake_writes = false;
        poll_.update(c->socket, c->reading ? Poco::Net::PollSet::POLL_READ : 0);
      }
      if (c->transport == Transport::kMtls) c->client_cert = PeerCertificateFingerprint(c->ssl);
      c->deadline = Clock::now() + std::chrono::milliseconds(options_.keep_alive_timeout_ms);
      return true;
    }
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      bool writes = err == SSL_ERROR_WANT_WRITE;
      if (writes != c->handshake_writes) {
        c->handshake_writes = writes;
        poll_.update(c->socket, Poco::Net::PollSet::POLL_READ |
                                    (writes ? Poco::Net::PollSet::POLL_WRITE : 0));
      }
      return true;
    }
    // No certificate, one of an unknown CA, an expired one, or not TLS at all: the peer got
    // OpenSSL's alert; nothing more to say.
    owner_.failed_handshakes_.fetch_add(1, std::memory_order_relaxed);
    ERR_clear_error();
    lock.unlock();
    Close(c);
    return false;
  }

  void OnReadable(const ConnPtr& c) {
    char buf[16384];  // one TLS record's worth, so a session never keeps read data buffered
    bool eof = false;
    std::unique_lock<std::mutex> lock(c->mu);
    if (c->closed) return;  // closed by OnWritable in the same poll round
    if (c->handshaking) {
      if (!Handshake(c, lock) || c->handshaking) return;
    }
    for (int i = 0; i < 16; ++i) {  // bounded, so one busy peer cannot starve the others
      ssize_t n = Receive(*c, buf, sizeof buf);
      if (n > 0) {
        if (c->state == Conn::State::kDiscard) {
          c->discard_left -= n;
        } else {
          c->in.append(buf, static_cast<size_t>(n));
        }
        if (static_cast<size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n < 0) break;
      eof = true;  // orderly close or error
      break;
    }
    if (c->state == Conn::State::kDiscard) {
      if (eof || c->discard_left <= 0) {
        lock.unlock();
        Close(c);
      }
      return;
    }
    if (eof) {
      // A worker still owns a request: it closes after its reply (the peer may only have shut
      // its writing side). Otherwise there is nobody to answer.
      if (c->state == Conn::State::kBusy || c->state == Conn::State::kWriting) {
        c->close_after_write = true;
        SetReading(*c, false);
        return;
      }
      lock.unlock();
      Close(c);
      return;
    }
    if (c->state == Conn::State::kBusy || c->state == Conn::State::kWriting) {
      // Pipelined bytes wait for the reply before them; past a bound, stop reading the peer.
      if (c->in.size() > options_.max_header_bytes + static_cast<size_t>(options_.max_body_bytes)) {
        SetReading(*c, false);
      }
      return;
    }
    Parse(c, lock);
  }

  // Parses `in` (lock held); dispatches a complete request or refuses a bad one.
  void Parse(const ConnPtr& c, std::unique_lock<std::mutex>& lock) {
    Conn& k = *c;
    if (k.in.empty()) return;
    auto now = Clock::now();
    if (k.state == Conn::State::kIdle) {
      k.state = Conn::State::kHeaders;
      k.deadline = now + std::chrono::milliseconds(options_.header_timeout_ms);
    }
    if (k.header_end == 0) {
      size_t end = k.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (k.in.size() > options_.max_header_bytes)
          return Refuse(c, lock, 431, "header_too_large", "Request headers are too large");
        return;
      }
      if (end + 4 > options_.max_header_bytes)
        return Refuse(c, lock, 431, "header_too_large", "Request headers are too large");
      if (!ParseHead(k, std::string_view(k.in).substr(0, end))) {
        return Refuse(c, lock, 400, "bad_request", "Malformed request");
      }
      k.header_end = end + 4;
      k.state = Conn::State::kBody;
      k.deadline = now + std::chrono::milliseconds(options_.body_timeout_ms);
      if (k.content_length > options_.max_body_bytes) {
        // Answer at once and drop the rest of the body, so the client sees the 413 rather than
        // a reset (up to a bound, then the connection closes anyway).
        k.discard_left = std::min<int64_t>(k.content_length, 64 << 20) -
                         static_cast<int64_t>(k.in.size() - k.header_end);
        return RefuseTooLarge(c, lock);
      }
    }
    size_t used = 0;
    if (k.chunked) {
      ParseResult r = DecodeChunked(std::string_view(k.in).substr(k.header_end),
                                    options_.max_body_bytes, &k.req.body, &used);
      if (r == ParseResult::kBad)
        return Refuse(c, lock, 400, "bad_request", "Malformed chunked body");
      if (r == ParseResult::kTooLarge) {
        // The chunked body's end is not known: keep reading and dropping (up to the same bound,
        // or until the peer closes or the body deadline passes), so the client reads the 413
        // instead of a reset from closing on unread data.
        k.discard_left = int64_t{64} << 20;
        return RefuseTooLarge(c, lock);
      }
      if (r == ParseResult::kNeedMore) return MaybeContinue(k);
    } else {
      if (k.in.size() - k.header_end < static_cast<size_t>(k.content_length))
        return MaybeContinue(k);
      k.req.body.assign(k.in, k.header_end, static_cast<size_t>(k.content_length));
      used = static_cast<size_t>(k.content_length);
    }
    // Complete: hand it to a worker.
    Work w;
    w.conn = c;
    w.request = std::move(k.req);
    w.request.peer = k.peer;
    w.request.local = k.local;
    w.request.transport = k.transport;
    w.request.client_cert = k.client_cert;
    w.head = w.request.method == "HEAD";
    std::string conn_hdr = ToLower(w.request.HeaderOr("connection"));
    w.close = w.request.minor_version == 0 ? conn_hdr.find("keep-alive") == std::string::npos
                                           : conn_hdr.find("close") != std::string::npos;
    k.in.erase(0, k.header_end + used);
    ResetRequest(k);
    k.state = Conn::State::kBusy;
    bool queued = false;
    {
      std::lock_guard<std::mutex> wl(work_mu_);
      if (work_.size() < options_.max_queued) {
        in_flight_.fetch_add(1);
        work_.push_back(std::move(w));
        work_cv_.notify_one();
        queued = true;
      }
    }
    if (!queued)
      Refuse(c, lock, 503, "service_unavailable", "Too many requests waiting; retry later");
  }

  static void ResetRequest(Conn& k) {
    k.header_end = 0;
    k.req = HttpRequest();
    k.content_length = 0;
    k.chunked = false;
    k.continue_sent = false;
  }

  // Request line and headers; false when malformed.
  static bool ParseHead(Conn& k, std::string_view head) {
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t sp1 = line.find(' ');
    size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return false;
    k.req.method = std::string(line.substr(0, sp1));
    k.req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    std::string_view version = line.substr(sp2 + 1);
    if (version == "HTTP/1.1")
      k.req.minor_version = 1;
    else if (version == "HTTP/1.0")
      k.req.minor_version = 0;
    else
      return false;
    if (k.req.method.empty() || k.req.target.empty() || k.req.target[0] != '/') return false;
    for (char ch : k.req.method) {
      if (!std::isupper(static_cast<unsigned char>(ch))) return false;
    }
    size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    bool has_length = false;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      std::string_view field = head.substr(pos, end - pos);
      pos = end + 2;
      size_t colon = field.find(':');
      if (colon == std::string_view::npos || colon == 0) return false;
      std::string name = ToLower(field.substr(0, colon));
      if (name.find_first_of(" \t") != std::string::npos) return false;
      std::string value(Trim(field.substr(colon + 1)));
      if (name == "content-length") {
        if (has_length || value.empty() || value.size() > 18) return false;
        for (char ch : value) {
          if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
        }
        k.content_length = std::stoll(value);
        has_length = true;
      } else if (name == "transfer-encoding") {
        if (!IEquals(value, "chunked")) return false;
        k.chunked = true;
      }
      k.req.headers.emplace_back(std::move(name), std::move(value));
    }
    return !(k.chunked && has_length);  // both: a smuggling attempt, refused
  }

  void MaybeContinue(Conn& k) {
    if (k.continue_sent) return;
    const std::string* expect = k.req.Header("expect");
    if (expect != nullptr && IEquals(*expect, "100-continue")) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      Send(k, kContinue, sizeof kContinue - 1);
      k.continue_sent = true;
    }
  }

  // Answers a refusal the front door makes itself and closes (lock held on entry).
  void Refuse(const ConnPtr& c, std::unique_lock<std::mutex>& lock, int status, const char* type,
              const std::string& message) {
    std::string bytes = SerializeReply(refusal_(status, type, message, c->req.target), true, false);
    Send(*c, bytes.data(), bytes.size());
    lock.unlock();
    Close(c);
  }

  void RefuseTooLarge(const ConnPtr& c, std::unique_lock<std::mutex>& lock) {
    std::string bytes = SerializeReply(
        refusal_(413, "payload_too_large",
                 "The request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes",
                 c->req.target),
        true, false);
    Send(*c, bytes.data(), bytes.size());
    c->in.clear();
    ResetRequest(*c);
    if (c->discard_left <= 0) {
      lock.unlock();
      Close(c);
      return;
    }
    c->state = Conn::State::kDiscard;
    c->deadline = Clock::now() + std::chrono::milliseconds(options_.body_timeout_ms);
  }

  void OnWritable(const ConnPtr& c) {
    std::unique_lock<std::mutex> lock(c->mu);
    if (c->closed) return;
    if (c->handshaking) {
      if (Handshake(c, lock) && !c->handshaking) Parse(c, lock);
      return;
    }
    if (c->state != Conn::State::kWriting) return;
    ssize_t n = Send(*c, c->out.data(), c->out.size());
    if (n < 0) {
      lock.unlock();
      return Close(c);
    }
    c->out.erase(0, static_cast<size_t>(n));
    if (!c->out.empty()) return;
    poll_.update(c->socket, c->reading ? Poco::Net::PollSet::POLL_READ : 0);
    if (c->close_after_write) {
      lock.unlock();
      return Close(c);
    }
    c->state = Conn::State::kIdle;
    c->deadline = Clock::now() + std::chrono::milliseconds(options_.keep_alive_timeout_ms);
    SetReading(*c, true);
    Parse(c, lock);
  }

  void SetReading(Conn& c, bool on) {
    if (c.reading == on) return;
    c.reading = on;
    int mode = (on ? Poco::Net::PollSet::POLL_READ : 0) |
               (c.state == Conn::State::kWriting ? Poco::Net::PollSet::POLL_WRITE : 0);
    if (mode == 0) {
      poll_.remove(c.socket);
    } else if (poll_.has(c.socket)) {
      poll_.update(c.socket, mode);
    } else {
      poll_.add(c.socket, mode);
    }
  }

  void Close(const ConnPtr& c) {
    {
      std::lock_guard<std::mutex> lock(c->mu);
      if (c->closed) return;
      c->closed = true;
    }
    try {
      if (poll_.has(c->socket)) poll_.remove(c->socket);
    } catch (const Poco::Exception&) {
    }
    conns_.erase(c->fd);
    owner_.connections_.store(conns_.size(), std::memory_order_relaxed);
    c->socket.close();
  }

  void Sweep() {
    auto now = Clock::now();
    std::vector<ConnPtr> expired;
    for (auto& [fd, c] : conns_) {
      std::lock_guard<std::mutex> lock(c->mu);
      if (c->state != Conn::State::kBusy && now >= c->deadline) expired.push_back(c);
    }
    for (const ConnPtr& c : expired) {
      std::unique_lock<std::mutex> lock(c->mu);
      if (c->state == Conn::State::kHeaders || c->state == Conn::State::kBody) {
        Refuse(c, lock, 408, "request_timeout", "The request was not received in time");
      } else {
        lock.unlock();
        Close(c);
      }
    }
  }

  void DrainInbox() {
    std::vector<std::pair<ConnPtr, Msg>> msgs;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      msgs.swap(inbox_);
    }
    for (auto& [c, msg] : msgs) {
      if (c->closed) continue;
      if (msg == Msg::kClose) {
        Close(c);
      } else if (msg == Msg::kWantWrite) {
        std::lock_guard<std::mutex> lock(c->mu);
        if (c->closed) continue;
        int mode =
            Poco::Net::PollSet::POLL_WRITE | (c->reading ? Poco::Net::PollSet::POLL_READ : 0);
        if (poll_.has(c->socket))
          poll_.update(c->socket, mode);
        else
          poll_.add(c->socket, mode);
      } else {  // kResume: reading again, and a pipelined request may be waiting
        std::unique_lock<std::mutex> lock(c->mu);
        if (c->closed || c->state != Conn::State::kIdle) continue;
        SetReading(*c, true);
        Parse(c, lock);
      }
    }
  }

  // ------------------------------------------------------------------ worker threads

  void Post(ConnPtr c, Msg msg) {
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      inbox_.emplace_back(std::move(c), msg);
    }
    Wake();
  }

  // Interrupts the reactor's poll (a datagram to its own wake-up socket).
  void Wake() {
    char one = 1;
    ::sendto(wake_sender_fd_, &one, 1, MSG_DONTWAIT, wake_address_.addr(), wake_address_.length());
  }

  void WorkerLoop() {
    for (;;) {
      Work w;
      {
        std::unique_lock<std::mutex> lock(work_mu_);
        work_cv_.wait(lock, [&] { return workers_stop_ || !work_.empty(); });
        if (work_.empty()) return;
        w = std::move(work_.front());
        work_.pop_front();
      }
      Responder responder(std::make_unique<Responder::Target>(
          Responder::Target{this, w.conn, w.close, w.head, w.request.target}));
      try {
        handler_(w.request, std::move(responder));
      } catch (...) {
        // The handler's Responder, destroyed unsent by the unwinding, answered 500.
      }
    }
  }

 public:
  // Sends `reply` on the connection of a request a worker handed out (any thread, once).
  void Finish(const ConnPtr& conn, bool close_requested, bool head, const Reply& reply) {
    Conn& c = *conn;
    std::unique_lock<std::mutex> lock(c.mu);
    bool close = close_requested || c.close_after_write || !accepting_;
    std::string bytes = SerializeReply(reply, close, head);
    ssize_t n = c.closed ? -1 : Send(c, bytes.data(), bytes.size());
    if (n < 0) {
      lock.unlock();
      Post(conn, Msg::kClose);
    } else if (static_cast<size_t>(n) < bytes.size()) {
      c.out = bytes.substr(static_cast<size_t>(n));
      c.close_after_write = close;
      c.state = Conn::State::kWriting;
      c.deadline = Clock::now() + std::chrono::milliseconds(options_.write_timeout_ms);
      lock.unlock();
      Post(conn, Msg::kWantWrite);
    } else if (close) {
      ShutdownConn(c);  // the peer sees the end now; the reactor closes the fd
      lock.unlock();
      Post(conn, Msg::kClose);
    } else {
      c.state = Conn::State::kIdle;
      c.deadline = Clock::now() + std::chrono::milliseconds(options_.keep_alive_timeout_ms);
      bool more = !c.in.empty() || !c.reading;
      lock.unlock();
      if (more) Post(conn, Msg::kResume);
    }
    in_flight_.fetch_sub(1);
  }

  Reply InternalError(const std::string& target) {
    return refusal_(500, "internal_error", "Internal server error", target);
  }

 private:
  FrontDoor& owner_;
  FrontDoorOptions options_;
  Handler handler_;
  Refusal refusal_;

  std::vector<Listener> listeners_;
  Poco::Net::DatagramSocket wake_;
  Poco::Net::SocketAddress wake_address_;
  Poco::Net::DatagramSocket wake_sender_;
  int wake_sender_fd_ = -1;
  Poco::Net::PollSet poll_;
  std::unordered_map<int, ConnPtr> conns_;  // reactor thread only
  std::thread reactor_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> accepting_{true};

  std::mutex inbox_mu_;
  std::vector<std::pair<ConnPtr, Msg>> inbox_;

  std::mutex work_mu_;
  std::condition_variable work_cv_;
  std::deque<Work> work_;
  bool workers_stop_ = false;
  std::vector<std::thread> workers_;
  std::atomic<int> in_flight_{0};
};

Responder::Responder(std::unique_ptr<Target> target) : target_(std::move(target)) {}
Responder::Responder(Responder&&) noexcept = default;

Responder::~Responder() {
  if (!target_) return;
  try {
    Send(target_->door->InternalError(target_->request_target));
  } catch (...) {
  }
}

void Responder::Send(const Reply& reply) {
  if (!target_) return;  // sent already
  std::unique_ptr<Target> t = std::move(target_);
  t->door->Finish(t->conn, t->close, t->head, reply);
}

FrontDoor::FrontDoor(FrontDoorOptions options, Handler handler, Refusal refusal)
    : impl_(std::make_unique<Impl>(*this, options, std::move(handler), std::move(refusal))) {}

FrontDoor::~FrontDoor() { Stop(0); }

void FrontDoor::Start(std::vector<Listener> listeners) { impl_->Start(std::move(listeners)); }

void FrontDoor::Stop(int grace_ms) { impl_->Stop(grace_ms); }

}  // namespace splitledger::api
