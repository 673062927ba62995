/* wiring.h: the Wiring-like application API the web server is written
 * against: String, TCPClient, TCPServer, WiFi, Time and a Serial-style log. */
#ifndef WIRING_H
#define WIRING_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "socket_hal.h"

/* String is a heap string, like Wiring's. */
class String {
public:
	String() : buf_(nullptr), len_(0) {}
	String(const char *s);
	String(const String &o);
	String &operator=(const String &o);
	String &operator=(const char *s);
	~String();
	const char *c_str() const { return buf_ ? buf_ : ""; }
	size_t length() const { return len_; }

private:
	void assign(const char *s, size_t n);
	char *buf_;
	size_t len_;
};

class TCPClient {
public:
	TCPClient() : sock_(SOCKET_INVALID) {}
	explicit TCPClient(sock_handle_t s) : sock_(s) {}
	virtual ~TCPClient() {}
	virtual bool connected();
	virtual int available();
	virtual int read(uint8_t *buf, size_t len);
	virtual int write(const uint8_t *buf, size_t len);
	virtual void stop();
	explicit operator bool() { return connected(); }

private:
	sock_handle_t sock_;
};

class TCPServer {
public:
	explicit TCPServer(uint16_t port) : port_(port), sock_(SOCKET_INVALID) {}
	virtual ~TCPServer() {}
	virtual bool begin();
	virtual TCPClient available();
	virtual void stop();

private:
	uint16_t port_;
	sock_handle_t sock_;
};

struct WiFiClass {
	bool ready() const;
};
extern WiFiClass WiFi;

struct TimeClass {
	time_t now() const;
	String format(time_t t, const char *fmt) const;
};
extern TimeClass Time;

/* application entry points */
void setup();
void loop();

#endif
