/* app.h: the sensor gateway's tasks and the interfaces between them.
 *
 *   sensor ISR (TIMER0, 500 Hz) --samples--> crunch --reports--> logger
 *   net (frames from the NIC) --queries--> crunch, --lines--> logger
 *   net spawns a DHCP client task when the link comes up.
 *
 * CRASH selects one latent bug at build time (see README.md); CRASH_NONE
 * builds the working application. */
#ifndef APP_H
#define APP_H

#include <stdint.h>
#include "FreeRTOS.h"
#include "queue.h"
#include "task.h"
#include "timers.h"

#define CRASH_NONE     0
#define CRASH_BADPTR   1 /* net trusts an option offset from the wire */
#define CRASH_DIV0     2 /* crunch averages a channel with no samples */
#define CRASH_UAF      3 /* net calls a closed session's callback */
#define CRASH_ISR      4 /* the sensor ISR runs mid-recalibration */
#define CRASH_SWITCH   5 /* a stale timer ID corrupts the DHCP task's TCB */
#define CRASH_ASSERT   6 /* crunch posts to an alert queue nobody created */
#define CRASH_OVERFLOW 7 /* net's debug dump overruns its task stack */
#define CRASH_NULLFN   8 /* net calls the link callback nobody registered */
#define CRASH_SMASH    9 /* crunch's filter rebuild overruns its stack, silently */
#ifndef CRASH
#define CRASH CRASH_NONE
#endif

/* HEAP5=1 builds the heap from two regions with heap_5 (main.c). */
#ifndef HEAP5
#define HEAP5 0
#endif

/* Task priorities: the timer service task is above them all. */
#define PRIO_NET    4
#define PRIO_LOGGER 3
#define PRIO_DHCP   2
#define PRIO_CRUNCH 1

#define SENSOR_CHANNELS 4 /* channels the protocol can query */
#define SENSOR_WIRED    3 /* channels with a sensor on them */

struct sample {
	uint8_t channel;
	int16_t value; /* millivolts */
};

struct query {
	uint8_t channel;
};

/* logger.c */
void logger_start(void);
void log_post(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void logger_task(void *arg);

/* sensor.c */
extern QueueHandle_t sample_queue;
void sensor_start(void);
void sensor_recalibrate(void);
void sensor_settle(void);

/* crunch.c */
extern QueueHandle_t query_queue;
extern QueueHandle_t alert_queue;
void crunch_task(void *arg);

/* net.c */
void net_start(void);
void net_task(void *arg);

/* workers.c: WORKERS (a build option, default 0) idle worker tasks. */
void workers_start(void);

/* dhcp.c */
struct link;
void dhcp_start(struct link *link, TaskHandle_t notify);
void dhcp_task(void *arg);

#endif
