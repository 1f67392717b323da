// Placeholder serve: /healthz only. Replaced by the REST API (issue 3).
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <csignal>
#include <iostream>
#include <string>

#include "splitledger/api/commands.h"

namespace splitledger::api {
namespace {
class Health : public Poco::Net::HTTPRequestHandler {
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res) override {
    res.setContentType("application/json");
    res.send() << "{\"status\":\"ok\"}";
  }
};
class Factory : public Poco::Net::HTTPRequestHandlerFactory {
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Health;
  }
};
}  // namespace

int ServeMain(int argc, char** argv) {
  std::string listen = "127.0.0.1:8080";
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--listen") listen = argv[i + 1];
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  Poco::Net::ServerSocket socket{Poco::Net::SocketAddress(listen)};
  Poco::Net::HTTPServer server(new Factory, socket, new Poco::Net::HTTPServerParams);
  server.start();
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  return 0;
}

int ClientCreateMain(int, char**) {
  std::cerr << "client create: not implemented yet\n";
  return 2;
}

}  // namespace splitledger::api
