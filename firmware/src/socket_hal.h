/* socket_hal.h: the socket layer, modelled on Device OS 0.6's
 * hal/src/photon/socket_hal.cpp (README.md "The bug" says what is kept and
 * what is simplified).
 *
 * A socket handle is the address of a heap socket_t kept in one of two
 * global lists (servers, connections). Build flags:
 *   FIX_CLIENTS   the 0.7.0 socket layer: a client's slot in its server's
 *                 clients[] is cleared when the client is deleted, and
 *                 socket_close_all() disposes server sockets too.
 */
#ifndef SOCKET_HAL_H
#define SOCKET_HAL_H

#include <stddef.h>
#include <stdint.h>

typedef uintptr_t sock_handle_t;
#define SOCKET_INVALID ((sock_handle_t)0)

sock_handle_t socket_create_tcp_server(uint16_t port);
/* socket_accept returns a connection accepted on server, or SOCKET_INVALID. */
sock_handle_t socket_accept(sock_handle_t server);
/* socket_receive: > 0 bytes read, 0 nothing yet, < 0 closed or invalid. */
int socket_receive(sock_handle_t sock, void *buf, size_t len);
/* socket_send: bytes queued to the co-processor, < 0 on error. */
int socket_send(sock_handle_t sock, const void *buf, size_t len);
int socket_close(sock_handle_t sock);
bool socket_active(sock_handle_t sock);
/* socket_handle_valid: the handle names a socket still in a global list. */
bool socket_handle_valid(sock_handle_t sock);

/* Called by the system loop: after a link loss, and when it comes back. */
void socket_close_all(void);
void socket_link_up(void);

#endif
