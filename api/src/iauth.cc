#include "iauth.h"

#include <fcntl.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "auth.h"
#include "json.h"
#include "observe.h"
#include "splitledger/core/ids.h"

namespace splitledger::api {
namespace {

const char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string B64UrlEncode(std::string_view in) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64Url[(buf >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kB64Url[(buf << (6 - bits)) & 63]);
  return out;
}

bool B64UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64Url, c);
    if (c == '\0' || p == nullptr) return false;
    buf = (buf << 6) | static_cast<uint32_t>(p - kB64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return true;
}

std::string Sign(const std::string& key, std::string_view data) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return B64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace

std::string IssueIauth(const std::string& key, const IauthClaims& c) {
  std::string header = B64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  std::string claims = B64UrlEncode(
      "{\"sub\":" + JsonQuote(c.payment_id) + ",\"cid\":" + JsonQuote(c.client_id) +
      ",\"env\":" + JsonQuote(c.environment) + ",\"exp\":" + std::to_string(c.expires_at) +
      ",\"scope\":" + JsonQuote(c.scope) + "}");
  std::string signing_input = header + "." + claims;
  return signing_input + "." + Sign(key, signing_input);
}

std::optional<IauthClaims> VerifyIauth(const std::string& key, const std::string& token,
                                       int64_t now_s) {
  if (key.empty() || token.size() > 4096) return std::nullopt;
  size_t a = token.find('.');
  size_t b = a == std::string::npos ? a : token.find('.', a + 1);
  if (b == std::string::npos || token.find('.', b + 1) != std::string::npos) return std::nullopt;
  std::string_view signing_input(token.data(), b);
  if (!ConstantTimeEquals(Sign(key, signing_input), std::string_view(token).substr(b + 1))) {
    return std::nullopt;
  }
  std::string header, claims;
  if (!B64UrlDecode(std::string_view(token).substr(0, a), &header) ||
      !B64UrlDecode(std::string_view(token).substr(a + 1, b - a - 1), &claims)) {
    return std::nullopt;
  }
  rapidjson::Document h, d;
  if (!ParseJsonObject(header, &h).ok() || !ParseJsonObject(claims, &d).ok()) return std::nullopt;
  const JValue* alg = Member(h, "alg");
  if (alg == nullptr || !alg->IsString() || std::string(alg->GetString()) != "HS256") {
    return std::nullopt;
  }
  const JValue* sub = Member(d, "sub");
  const JValue* cid = Member(d, "cid");
  const JValue* env = Member(d, "env");
  const JValue* exp = Member(d, "exp");
  const JValue* scope = Member(d, "scope");
  if (sub == nullptr || !sub->IsString() || cid == nullptr || !cid->IsString() || env == nullptr ||
      !env->IsString() || exp == nullptr || !exp->IsInt64() || scope == nullptr ||
      !scope->IsString()) {
    return std::nullopt;
  }
  IauthClaims c{sub->GetString(), cid->GetString(), env->GetString(), exp->GetInt64(),
                scope->GetString()};
  if (c.scope != "intent" && c.scope != "checkout") return std::nullopt;
  if (c.expires_at <= now_s) return std::nullopt;
  return c;
}

std::string DefaultIauthKeyPath(const std::string& db_url) {
  if (db_url.rfind("sqlite:", 0) == 0) {
    std::string dir = std::filesystem::path(db_url.substr(7)).parent_path().string();
    return (dir.empty() ? std::string(".") : dir) + "/splitledger-iauth.key";
  }
  std::string dir;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = std::string(home) + "/.splitledger";
  } else {
    dir = "/tmp/splitledger-" + std::to_string(::getuid());
  }
  ::mkdir(dir.c_str(), 0700);
  return dir + "/iauth-" + Sha256Hex(db_url).substr(0, 16) + ".key";
}

Result<std::string> LoadOrCreateIauthKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    std::string key = RandomHex(32);
    int w = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (w >= 0) {
      bool ok = ::write(w, key.data(), key.size()) == static_cast<ssize_t>(key.size());
      ok = ::fsync(w) == 0 && ok;
      ::close(w);
      if (!ok) return Status::Unavailable("cannot write the iauth key file " + path);
      return key;
    }
    if (errno != EEXIST) {
      return Status::Unavailable("cannot create the iauth key file " + path + ": " +
                                 std::strerror(errno));
    }
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);  // another server made it
  }
  if (fd < 0) {
    return Status::Unavailable("cannot read the iauth key file " + path + ": " +
                               std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::getuid() ||
      (st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::Unavailable("the iauth key file " + path +
                               " must be a regular file of this user, mode 0600");
  }
  char buf[256];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n < 32) return Status::Unavailable("the iauth key file " + path + " holds no key");
  std::string key(buf, static_cast<size_t>(n));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  return key;
}

}  // namespace splitledger::api
