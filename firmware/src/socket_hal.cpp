/* socket_hal.cpp: sockets over the co-processor link; see socket_hal.h and
 * README.md "The bug". Objects are touched by two contexts: the main loop
 * (the socket_* calls) and the network thread (socket_hal_on_*, PendSV).
 * The main loop holds net_lock() while it edits lists and objects. */
#include "socket_hal.h"

#include <new>
#include <stdlib.h>
#include <string.h>

#include "hal.h"
#include "wifi_link.h"

#ifndef FIX_CLIENTS
#define FIX_CLIENTS 0
#endif

#define MAX_SERVER_CLIENTS WIFI_MAX_CONNS

struct tcp_server_t;

/* An rx_packet is one DATA frame's payload, allocated by the network
 * thread and queued on its connection until the application reads it. */
struct rx_packet {
	rx_packet *next;
	uint16_t len, off;
	uint8_t data[];
};

/* A tcp_server_client_t is one accepted connection. The network thread
 * creates it (on ACCEPT) and writes `closed` into it (on CLOSE and on link
 * loss); the application owns it through a socket_t and deletes it on close. */
class tcp_server_client_t {
public:
	tcp_server_client_t(tcp_server_t *s, uint8_t c)
		: server(s), conn(c), closed(false), released(false), epoch(wifi_link_epoch()), rx_head(nullptr),
		  rx_tail(nullptr) {}
	virtual void close();
	virtual int write(const uint8_t *data, size_t len);
	virtual ~tcp_server_client_t();

	tcp_server_t *server;
	uint8_t conn;
	volatile bool closed; /* the peer closed, or the link went */
	bool released;        /* CLOSE_REQ sent: the co-processor may reuse conn */
	uint32_t epoch;
	rx_packet *rx_head, *rx_tail;
};

/* A tcp_server_t listens on one port. clients[] is indexed by the
 * co-processor's accept slot (the connection id), as Device OS indexed it by
 * WICED's. pending[] queues accepted slots for socket_accept. */
struct tcp_server_t {
	explicit tcp_server_t(uint16_t p) : port(p), epoch(wifi_link_epoch()), pending_head(0), pending_tail(0)
	{
		memset(clients, 0, sizeof clients);
	}
	virtual void close();
	virtual ~tcp_server_t() {}

	uint16_t port;
	uint32_t epoch; /* link epoch of the last LISTEN */
	tcp_server_client_t *clients[MAX_SERVER_CLIENTS];
	uint8_t pending[MAX_SERVER_CLIENTS];
	volatile uint8_t pending_head, pending_tail;
};

enum socket_type : uint8_t { SOCK_SERVER = 1, SOCK_CLIENT = 2 };

struct socket_t {
	socket_t *next;
	socket_type type;
	union {
		tcp_server_t *server;
		tcp_server_client_t *client;
	};
};

/* The global lists. conn_server maps a co-processor slot to the server
 * that accepted on it, for DATA and CLOSE frames. */
static socket_t *servers, *connections;
static tcp_server_t *conn_server[WIFI_MAX_CONNS];

static bool link_ok(uint32_t epoch) { return wifi_ready() && epoch == wifi_link_epoch(); }

void tcp_server_client_t::close()
{
	if (!released && link_ok(epoch) && conn < WIFI_MAX_CONNS)
		wifi_send_frame(WIFI_CLOSE_REQ, conn, nullptr, 0);
	released = true;
	closed = true;
}

int tcp_server_client_t::write(const uint8_t *data, size_t len)
{
	if (closed || !link_ok(epoch))
		return -1;
	size_t sent = 0;
	while (sent < len) {
		size_t n = len - sent > WIFI_MAX_PAYLOAD ? WIFI_MAX_PAYLOAD : len - sent;
		wifi_send_frame(WIFI_SEND, conn, data + sent, n);
		sent += n;
	}
	return (int)len;
}

tcp_server_client_t::~tcp_server_client_t()
{
	while (rx_head) {
		rx_packet *p = rx_head;
		rx_head = p->next;
		free(p);
	}
#if FIX_CLIENTS
	/* The 0.7.0 fix: forget the client in its server's table. */
	if (server && conn < MAX_SERVER_CLIENTS && server->clients[conn] == this)
		server->clients[conn] = nullptr;
#endif
}

/* close walks clients[] and closes every entry. Under the 0.6 model an entry
 * may be a client deleted long ago: the virtual call goes through whatever
 * the heap has put in that block since. */
void tcp_server_t::close()
{
	for (int i = 0; i < MAX_SERVER_CLIENTS; i++) {
		tcp_server_client_t *c = clients[i];
		if (c) {
			c->close();
			clients[i] = nullptr;
		}
	}
	pending_head = pending_tail = 0;
}

static bool list_contains(socket_t *list, socket_t *s)
{
	for (; list; list = list->next)
		if (list == s)
			return true;
	return false;
}

static void list_remove(socket_t **list, socket_t *s)
{
	for (socket_t **pp = list; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			return;
		}
	}
}

bool socket_handle_valid(sock_handle_t h)
{
	socket_t *s = (socket_t *)h;
	if (!s)
		return false;
	uint32_t k = net_lock();
	bool ok = list_contains(servers, s) || list_contains(connections, s);
	net_unlock(k);
	return ok;
}

static void send_port(uint8_t type, uint16_t port)
{
	uint8_t p[2] = {(uint8_t)port, (uint8_t)(port >> 8)};
	wifi_send_frame(type, 0, p, sizeof p);
}

sock_handle_t socket_create_tcp_server(uint16_t port)
{
	tcp_server_t *srv = new (std::nothrow) tcp_server_t(port);
	socket_t *s = new (std::nothrow) socket_t;
	if (!srv || !s) {
		delete srv;
		delete s;
		return SOCKET_INVALID;
	}
	s->type = SOCK_SERVER;
	s->server = srv;
	uint32_t k = net_lock();
	s->next = servers;
	servers = s;
	net_unlock(k);
	if (wifi_ready())
		send_port(WIFI_LISTEN, port);
	return (sock_handle_t)s;
}

sock_handle_t socket_accept(sock_handle_t h)
{
	socket_t *s = (socket_t *)h;
	uint32_t k = net_lock();
	sock_handle_t result = SOCKET_INVALID;
	if (s && list_contains(servers, s)) {
		tcp_server_t *srv = s->server;
		while (srv->pending_head != srv->pending_tail && result == SOCKET_INVALID) {
			uint8_t slot = srv->pending[srv->pending_tail % MAX_SERVER_CLIENTS];
			srv->pending_tail = (uint8_t)(srv->pending_tail + 1);
			tcp_server_client_t *c = srv->clients[slot];
			if (!c)
				continue;
			socket_t *cs = new (std::nothrow) socket_t;
			if (!cs)
				break;
			cs->type = SOCK_CLIENT;
			cs->client = c;
			cs->next = connections;
			connections = cs;
			result = (sock_handle_t)cs;
		}
	}
	net_unlock(k);
	return result;
}

int socket_receive(sock_handle_t h, void *buf, size_t len)
{
	socket_t *s = (socket_t *)h;
	uint32_t k = net_lock();
	int n = -1;
	if (s && list_contains(connections, s)) {
		tcp_server_client_t *c = s->client;
		n = 0;
		uint8_t *out = (uint8_t *)buf;
		while (c->rx_head && (size_t)n < len) {
			rx_packet *p = c->rx_head;
			size_t take = p->len - p->off;
			if (take > len - (size_t)n)
				take = len - (size_t)n;
			memcpy(out + n, p->data + p->off, take);
			p->off = (uint16_t)(p->off + take);
			n += (int)take;
			if (p->off == p->len) {
				c->rx_head = p->next;
				if (!c->rx_head)
					c->rx_tail = nullptr;
				free(p);
			}
		}
		if (n == 0 && c->closed)
			n = -1;
	}
	net_unlock(k);
	return n;
}

int socket_send(sock_handle_t h, const void *buf, size_t len)
{
	socket_t *s = (socket_t *)h;
	uint32_t k = net_lock();
	int n = -1;
	if (s && list_contains(connections, s))
		n = s->client->write((const uint8_t *)buf, len);
	net_unlock(k);
	return n;
}

bool socket_active(sock_handle_t h)
{
	socket_t *s = (socket_t *)h;
	uint32_t k = net_lock();
	bool ok = s && list_contains(connections, s) && !s->client->closed;
	net_unlock(k);
	return ok;
}

/* dispose_connection closes and deletes a connection socket. Under the 0.6
 * model the server's clients[] keeps pointing at the deleted client. */
static void dispose_connection(socket_t *s)
{
	list_remove(&connections, s);
	tcp_server_client_t *c = s->client;
	/* The co-processor connection is gone: stop routing its frames (WICED
	 * unregistered a socket's callbacks on disconnect). The server's
	 * clients[] is another matter. */
	if (c->conn < WIFI_MAX_CONNS && conn_server[c->conn] == c->server)
		conn_server[c->conn] = nullptr;
	c->close();
	delete c;
	delete s;
}

static void dispose_server(socket_t *s)
{
	list_remove(&servers, s);
	tcp_server_t *srv = s->server;
	srv->close();
	for (socket_t *c = connections; c; c = c->next)
		if (c->client->server == srv)
			c->client->server = nullptr;
	for (int i = 0; i < WIFI_MAX_CONNS; i++)
		if (conn_server[i] == srv)
			conn_server[i] = nullptr;
	if (link_ok(srv->epoch))
		send_port(WIFI_UNLISTEN, srv->port);
	delete srv;
	delete s;
}

int socket_close(sock_handle_t h)
{
	socket_t *s = (socket_t *)h;
	uint32_t k = net_lock();
	int r = -1;
	if (s && list_contains(connections, s)) {
		dispose_connection(s);
		r = 0;
	} else if (s && list_contains(servers, s)) {
		dispose_server(s);
		r = 0;
	}
	net_unlock(k);
	return r;
}

/* socket_close_all runs from the system loop after the link was lost, as
 * Device OS's did when the WLAN was reset. */
void socket_close_all(void)
{
	uint32_t k = net_lock();
#if FIX_CLIENTS
	/* 0.7.0: connections first (each clears its clients[] slot), then every
	 * server socket, which leaves TCPServer holding a deleted handle. */
	while (connections)
		dispose_connection(connections);
	while (servers)
		dispose_server(servers);
#else
	/* 0.6: every server closes what its clients[] holds, then every
	 * connection socket is deleted. The server sockets stay for
	 * socket_link_up to listen again. clients[] may hold clients deleted by
	 * earlier disconnects (dispose_connection never cleared them). */
	for (socket_t *s = servers; s; s = s->next)
		s->server->close();
	while (connections)
		dispose_connection(connections);
#endif
	for (int i = 0; i < WIFI_MAX_CONNS; i++)
		conn_server[i] = nullptr;
	net_unlock(k);
}

void socket_link_up(void)
{
	uint32_t k = net_lock();
	for (socket_t *s = servers; s; s = s->next) {
		s->server->epoch = wifi_link_epoch();
		send_port(WIFI_LISTEN, s->server->port);
	}
	net_unlock(k);
}

/* ---- network thread (PendSV) ---- */

static tcp_server_client_t *client_for(uint8_t conn)
{
	if (conn >= WIFI_MAX_CONNS || !conn_server[conn])
		return nullptr;
	return conn_server[conn]->clients[conn];
}

void socket_hal_on_link(bool up)
{
	if (up)
		return;
	/* Tell every connection its link is gone, as WICED's disconnect
	 * callbacks did: through each server's clients[]. */
	for (socket_t *s = servers; s; s = s->next)
		for (int i = 0; i < MAX_SERVER_CLIENTS; i++)
			if (s->server->clients[i])
				s->server->clients[i]->closed = true;
}

void socket_hal_on_accept(uint8_t conn, uint16_t port)
{
	tcp_server_t *srv = nullptr;
	for (socket_t *s = servers; s; s = s->next)
		if (s->server->port == port)
			srv = s->server;
	if (!srv || conn >= WIFI_MAX_CONNS) {
		wifi_send_frame(WIFI_CLOSE_REQ, conn, nullptr, 0);
		return;
	}
	tcp_server_client_t *c = new (std::nothrow) tcp_server_client_t(srv, conn);
	if (!c) {
		wifi_send_frame(WIFI_CLOSE_REQ, conn, nullptr, 0);
		return;
	}
	srv->clients[conn] = c;
	conn_server[conn] = srv;
	srv->pending[srv->pending_head % MAX_SERVER_CLIENTS] = conn;
	srv->pending_head = (uint8_t)(srv->pending_head + 1);
}

void socket_hal_on_data(uint8_t conn, const uint8_t *data, size_t len)
{
	tcp_server_client_t *c = client_for(conn);
	if (!c || len == 0)
		return;
	rx_packet *p = (rx_packet *)malloc(sizeof(rx_packet) + len);
	if (!p)
		return;
	p->next = nullptr;
	p->len = (uint16_t)len;
	p->off = 0;
	memcpy(p->data, data, len);
	if (c->rx_tail)
		c->rx_tail->next = p;
	else
		c->rx_head = p;
	c->rx_tail = p;
}

void socket_hal_on_close(uint8_t conn)
{
	tcp_server_client_t *c = client_for(conn);
	if (c)
		c->closed = true;
}
