/*
 * faultline test application: three named threads, one of which calls a
 * NULL function pointer three calls deep. Zephyr's coredump logging backend
 * prints the dump as #CD: lines on the console. Built with
 * -DFAULTLINE_CRASH_OOPS, the thread calls k_oops() instead.
 */
#include <zephyr.h>
#include <sys/printk.h>

typedef int (*handler_fn)(int);

struct job {
	const char *name;
	handler_fn handler; /* left NULL for the "crunch" job */
	int arg;
};

static struct job jobs[] = {
	{ "scale", NULL, 7 },
};

static K_SEM_DEFINE(net_sem, 0, 1);
static volatile int sensor_samples;

__attribute__((noinline)) static int run_job(struct job *j)
{
	printk("crunch: running job %s\n", j->name);
#ifdef FAULTLINE_CRASH_OOPS
	if (j->handler == NULL) {
		k_oops(); /* K_ERR_KERNEL_OOPS through the SVC handler */
	}
#endif
	return j->handler(j->arg) + 1; /* j->handler is NULL: jump to 0 */
}

__attribute__((noinline)) static int process_batch(int n)
{
	int total = 0;

	for (int i = 0; i < n; i++) {
		total += run_job(&jobs[i]);
	}
	return total;
}

static void crunch_entry(void *p1, void *p2, void *p3)
{
	ARG_UNUSED(p1);
	ARG_UNUSED(p2);
	ARG_UNUSED(p3);
	k_msleep(20);
	printk("crunch: result %d\n", process_batch(ARRAY_SIZE(jobs)));
}

static void sensor_entry(void *p1, void *p2, void *p3)
{
	ARG_UNUSED(p1);
	ARG_UNUSED(p2);
	ARG_UNUSED(p3);
	for (;;) {
		sensor_samples++;
		k_msleep(5);
	}
}

static void net_entry(void *p1, void *p2, void *p3)
{
	ARG_UNUSED(p1);
	ARG_UNUSED(p2);
	ARG_UNUSED(p3);
	for (;;) {
		k_sem_take(&net_sem, K_FOREVER);
	}
}

K_THREAD_DEFINE(sensor_tid, 1024, sensor_entry, NULL, NULL, NULL, 5, 0, 0);
K_THREAD_DEFINE(net_tid, 1024, net_entry, NULL, NULL, NULL, 6, 0, 0);
K_THREAD_DEFINE(crunch_tid, 1024, crunch_entry, NULL, NULL, NULL, 7, 0, 0);

void main(void)
{
	k_thread_name_set(sensor_tid, "sensor");
	k_thread_name_set(net_tid, "net");
	k_thread_name_set(crunch_tid, "crunch");
	printk("faultline zephyr coredump app started\n");
}
