/* wiring.cpp: see wiring.h. */
#include "wiring.h"

#include <stdlib.h>
#include <string.h>

#include "hal.h"
#include "wifi_link.h"

WiFiClass WiFi;
TimeClass Time;

String::String(const char *s) : buf_(nullptr), len_(0) { assign(s, strlen(s)); }
String::String(const String &o) : buf_(nullptr), len_(0) { assign(o.c_str(), o.len_); }
String &String::operator=(const String &o)
{
	if (this != &o)
		assign(o.c_str(), o.len_);
	return *this;
}
String &String::operator=(const char *s)
{
	assign(s, strlen(s));
	return *this;
}
String::~String() { free(buf_); }

void String::assign(const char *s, size_t n)
{
	char *b = (char *)malloc(n + 1);
	if (!b)
		panic(PANIC_OUTOFHEAP, "OutOfHeap");
	memcpy(b, s, n);
	b[n] = 0;
	free(buf_);
	buf_ = b;
	len_ = n;
}

bool TCPClient::connected() { return socket_active(sock_) || available() > 0; }

/* available peeks by reading nothing: the socket layer has no peek, so it
 * says "maybe" (1) while the socket is open; read() gives the real answer. */
int TCPClient::available() { return socket_active(sock_) ? 1 : 0; }

int TCPClient::read(uint8_t *buf, size_t len)
{
	int n = socket_receive(sock_, buf, len);
	return n > 0 ? n : -1;
}

int TCPClient::write(const uint8_t *buf, size_t len) { return socket_send(sock_, buf, len); }

void TCPClient::stop()
{
	if (sock_ != SOCKET_INVALID)
		socket_close(sock_);
	sock_ = SOCKET_INVALID;
}

bool TCPServer::begin()
{
	sock_ = socket_create_tcp_server(port_);
	return sock_ != SOCKET_INVALID;
}

TCPClient TCPServer::available()
{
	if (sock_ == SOCKET_INVALID)
		return TCPClient();
	return TCPClient(socket_accept(sock_));
}

void TCPServer::stop()
{
	if (sock_ != SOCKET_INVALID)
		socket_close(sock_);
	sock_ = SOCKET_INVALID;
}

bool system_network_ready(); /* system.cpp */

bool WiFiClass::ready() const { return system_network_ready(); }

/* The bench has no RTC or cloud time: the clock starts at the page's
 * modification date and runs with millis(). */
time_t TimeClass::now() const { return (time_t)(1478627447 + millis() / 1000u); }

String TimeClass::format(time_t t, const char *fmt) const
{
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof buf, fmt, &tm);
	return String(buf);
}
