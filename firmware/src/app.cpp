/* app.cpp: the multi-client web server from the forum report, rewritten:
 * five ClientConnections on port 7123, each a small state machine that
 * reads a request up to the blank line and writes index.html.
 *
 * FIX_RELISTEN adds the application-side workaround: server.stop() and
 * server.begin() whenever WiFi.ready() turns true again. */
#include <stdio.h>
#include <string.h>

#include "hal.h"
#include "wiring.h"

#ifndef FIX_RELISTEN
#define FIX_RELISTEN 0
#endif

void system_wait_ready();

namespace {

const char index_html[] =
	"<!DOCTYPE html>\n"
	"<html>\n"
	"<head>\n"
	"<meta charset=\"UTF-8\">\n"
	"<title>faultline bench</title>\n"
	"</head>\n"
	"<body>\n"
	"<div id=\"main\">\n"
	"<p>Hello from the emulated Photon web server.</p>\n"
	"</div>\n"
	"</body>\n"
	"</html>\n";

struct Page {
	const char *name;
	const char *mime;
	const uint8_t *data;
	size_t size;
	time_t modified;
};

const Page pages[] = {
	{"/index.html", "text/html", (const uint8_t *)index_html, sizeof index_html - 1, 1478627447},
};

const char *const date_format = "%a, %d %b %Y %T %z";

const int kMaxClients = 5;
const uint16_t kPort = 7123;
const int kBufSize = 1024;
const size_t kMaxWrite = 512;
const uint32_t kInactivityMs = 30000;

enum State { FREE, READ_REQUEST, WRITE_HEADER, WRITE_BODY };

TCPServer server(kPort);
int next_client_id = 1;

class ClientConnection {
public:
	ClientConnection() { clear(); }
	virtual ~ClientConnection() {}

	void loop();
	bool accept();

private:
	void clear();
	void read_request();
	void make_header();
	void write_response();

	uint8_t buf_[kBufSize + 1];
	State state_ = FREE;
	int id_ = 0;
	TCPClient client_;
	int read_off_ = 0;
	uint32_t last_use_ = 0;
	int code_ = 0;
	String status_;
	const Page *page_ = nullptr;
	const uint8_t *send_buf_ = nullptr;
	size_t send_off_ = 0, send_len_ = 0;
};

ClientConnection clients[kMaxClients];

void ClientConnection::clear()
{
	last_use_ = 0;
	read_off_ = 0;
	state_ = FREE;
	page_ = nullptr;
}

bool ClientConnection::accept()
{
	if (state_ != FREE)
		return false;
	client_ = server.available();
	if (client_.connected()) {
		last_use_ = millis();
		state_ = READ_REQUEST;
		id_ = next_client_id++;
		LOG_INFO("app", "%d: connection accepted", id_);
	}
	return true;
}

void ClientConnection::loop()
{
	if (state_ == FREE)
		return;
	if (!client_.connected()) {
		LOG_INFO("app", "%d: client disconnected", id_);
		client_.stop();
		clear();
		return;
	}
	switch (state_) {
	case READ_REQUEST:
		read_request();
		break;
	case WRITE_HEADER:
	case WRITE_BODY:
		write_response();
		break;
	default:
		break;
	}
	if (state_ != FREE && millis() - last_use_ > kInactivityMs) {
		LOG_WARN("app", "%d: inactivity timeout", id_);
		client_.stop();
		clear();
	}
}

void ClientConnection::read_request()
{
	int room = kBufSize - read_off_;
	if (room == 0) {
		LOG_WARN("app", "%d: no end of header", id_);
		client_.stop();
		clear();
		return;
	}
	int n = client_.read(&buf_[read_off_], (size_t)room);
	if (n <= 0)
		return;
	read_off_ += n;
	buf_[read_off_] = 0;
	last_use_ = millis();
	if (strstr((const char *)buf_, "\r\n\r\n")) {
		code_ = 200;
		status_ = "OK";
		page_ = &pages[0];
		LOG_INFO("app", "%d: sending %s", id_, page_->name);
		make_header();
	}
}

void ClientConnection::make_header()
{
	char *dst = (char *)buf_;
	char *end = dst + kBufSize;
	dst += snprintf(dst, (size_t)(end - dst), "HTTP/1.0 %d %s\r\n", code_, status_.c_str());
	String date = Time.format(Time.now(), date_format);
	dst += snprintf(dst, (size_t)(end - dst), "Date: %s\r\n", date.c_str());
	if (page_) {
		dst += snprintf(dst, (size_t)(end - dst), "Content-Type: %s\r\n", page_->mime);
		dst += snprintf(dst, (size_t)(end - dst), "Content-Length: %u\r\n", (unsigned)page_->size);
		String modified = Time.format(page_->modified, date_format);
		dst += snprintf(dst, (size_t)(end - dst), "Last-Modified: %s\r\n", modified.c_str());
	}
	dst += snprintf(dst, (size_t)(end - dst), "Connection: close\r\n\r\n");
	send_buf_ = buf_;
	send_off_ = 0;
	send_len_ = (size_t)(dst - (char *)buf_);
	state_ = WRITE_HEADER;
}

void ClientConnection::write_response()
{
	if (send_off_ == send_len_) {
		if (state_ == WRITE_HEADER && page_) {
			send_buf_ = page_->data;
			send_off_ = 0;
			send_len_ = page_->size;
			state_ = WRITE_BODY;
		} else {
			LOG_INFO("app", "%d: send complete", id_);
			client_.stop();
			clear();
			return;
		}
	}
	size_t n = send_len_ - send_off_;
	if (n > kMaxWrite)
		n = kMaxWrite;
	int w = client_.write(&send_buf_[send_off_], n);
	if (w > 0) {
		send_off_ += (size_t)w;
		last_use_ = millis();
	} else {
		LOG_WARN("app", "%d: error writing %d", id_, w);
		client_.stop();
		clear();
	}
}

bool was_ready = false;

} // namespace

void setup()
{
	LOG_INFO("app", "waiting for the network");
	system_wait_ready();
	was_ready = true;
	server.begin();
	LOG_INFO("app", "server=%s:%u", "0.0.0.0", (unsigned)kPort);
}

void loop()
{
	bool ready = WiFi.ready();
	if (ready != was_ready)
		LOG_INFO("app", "WiFiReady %d", ready ? 1 : 0);
#if FIX_RELISTEN
	if (ready && !was_ready) {
		LOG_INFO("app", "network back: restarting the server");
		server.stop();
		server.begin();
	}
#endif
	was_ready = ready;

	for (int i = 0; i < kMaxClients; i++)
		clients[i].loop();
	for (int i = 0; i < kMaxClients; i++)
		if (clients[i].accept())
			break;
}
