// SPDX-License-Identifier: MIT
/*
 * cvrun: run signed images as corevisor VMs from the Linux host (think
 * `lkvm run`), through /dev/corevisor (include/corevisor/dev.h).
 *
 *   cvrun [options] IMAGE[+DATA...][:VCPUS] ...
 *
 * Each image becomes a VM (with its data images after a '+': an
 * initrd, a device tree; tools/cv-linux-guest.py) with one thread per vCPU,
 * each thread bound to a host CPU (round-robin over the online CPUs). The
 * guests' devices are emulated here: the PL011 at 0x09000000 (each line printed
 * on stdout as
 * `[vmN] ...`, N the vmid) and the test device at 0x09010000 (an event is
 * printed, and --on-event runs a command while the vCPU waits). Once
 * every VM is done, the powered-off ones give their pages back to Linux.
 * Exit status: 0 when every VM powered off, 1 otherwise.
 *
 * Options:
 *   --on-event CMD   at a test-device event, run CMD with sh -c, the
 *                    event's VM stopped meanwhile; environment CV_VMID,
 *                    CV_EVENT and, with --pa-of, CV_PA
 *   --pa-of IPA      the host page backing IPA, for --on-event
 *   -q               no cvrun: status lines, only the guests' output
 *   --bench-noop N   time N HVC_NOOP round trips in the module, print the
 *                    nanoseconds (under QEMU -icount shift=0, instructions)
 *                    and exit
 *   --counter        print the virtual counter (CNTVCT_EL0, counting from
 *                    power-on) and its frequency, and exit
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <corevisor/dev.h>

#define UART_IPA 0x09000000ULL
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_FR_TXFE (1U << 7)
#define UART_FR_RXFE (1U << 4)
#define UART_PERIPH_ID 0xfe0
#define TESTDEV_IPA 0x09010000ULL
#define TESTDEV_ID 0x43565444ULL
#define MAX_VMS 16
#define MAX_VCPUS 8

struct vm {
	int fd;
	unsigned vmid;
	unsigned nvcpus;
	char name[16];
	pthread_mutex_t lock; /* line */
	char line[200];
	size_t line_len;
	bool off; /* SYSTEM_OFF seen */
	bool failed;
	bool warned_mmio;
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	unsigned cpu;
	pthread_t thread;
};

static struct vm vms[MAX_VMS];
static unsigned nvms;
static bool quiet;
static const char *on_event;
static uint64_t pa_of;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void flush_line(struct vm *vm)
{
	vm->line[vm->line_len] = '\0';
	pthread_mutex_lock(&out_lock);
	printf("[vm%u] %s\n", vm->vmid, vm->line);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	vm->line_len = 0;
}

static void uart_putc(struct vm *vm, char c)
{
	pthread_mutex_lock(&vm->lock);
	if (c == '\n' || vm->line_len == sizeof(vm->line) - 1)
		flush_line(vm);
	if (c != '\n' && c != '\r' && c != '\0')
		vm->line[vm->line_len++] = c;
	pthread_mutex_unlock(&vm->lock);
}

static uint64_t uart_read(uint64_t off)
{
	static const uint8_t ids[8] = {0x11, 0x10, 0x14, 0x00,
				       0x0d, 0xf0, 0x05, 0xb1};

	if (off == UART_FR)
		return UART_FR_TXFE | UART_FR_RXFE;
	if (off >= UART_PERIPH_ID && off < UART_PERIPH_ID + 32 && !(off & 3))
		return ids[(off - UART_PERIPH_ID) / 4];
	return 0;
}

/* A test-device event: the VM's vCPU waits while the hook runs. */
static void event(struct vm *vm, uint64_t value)
{
	char buf[32];

	say("cvrun: vm%u event %" PRIu64 "\n", vm->vmid, value);
	if (!on_event)
		return;
	snprintf(buf, sizeof(buf), "%u", vm->vmid);
	setenv("CV_VMID", buf, 1);
	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	setenv("CV_EVENT", buf, 1);
	if (pa_of) {
		struct cv_gpa g = {.ipa = pa_of};

		if (ioctl(vm->fd, CV_IOC_GPA_TO_PA, &g) == 0) {
			snprintf(buf, sizeof(buf), "0x%" PRIx64,
				 (uint64_t)g.pa);
			setenv("CV_PA", buf, 1);
		}
	}
	fflush(stdout);
	if (system(on_event) == -1)
		say("cvrun: --on-event: %s\n", strerror(errno));
}

static uint64_t mmio(struct vm *vm, const struct cv_run *r)
{
	uint64_t ipa = r->mmio_ipa;

	if (ipa >= UART_IPA && ipa < UART_IPA + 0x1000) {
		if (!r->mmio_is_write)
			return uart_read(ipa - UART_IPA);
		if (ipa == UART_IPA + UART_DR)
			uart_putc(vm, (char)r->mmio_data);
		return 0;
	}
	if (ipa == TESTDEV_IPA && r->mmio_is_write) {
		event(vm, r->mmio_data);
		return 0;
	}
	if (ipa == TESTDEV_IPA + 8 && !r->mmio_is_write)
		return TESTDEV_ID;
	if (!vm->warned_mmio) {
		vm->warned_mmio = true;
		say("cvrun: vm%u: %s of unemulated IPA 0x%" PRIx64 " ignored\n",
		    vm->vmid, r->mmio_is_write ? "write" : "read", ipa);
	}
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vm *vm = c->vm;
	struct cv_run r = {.vcpu = c->id, .cpu = c->cpu};

	for (;;) {
		if (ioctl(vm->fd, CV_IOC_RUN_VCPU, &r) < 0) {
			say("cvrun: vm%u vcpu %u: %s\n", vm->vmid, c->id,
			    strerror(errno));
			vm->failed = true;
			return NULL;
		}
		switch (r.reason) {
		case CV_RUN_MMIO:
			r.mmio_data = mmio(vm, &r);
			break;
		case CV_RUN_CPU_OFF:
			break; /* RUN again waits for its guest's CPU_ON */
		case CV_RUN_VM_OFF:
			pthread_mutex_lock(&vm->lock);
			if (!vm->off && vm->line_len)
				flush_line(vm);
			vm->off = true;
			pthread_mutex_unlock(&vm->lock);
			return NULL;
		default:
			say("cvrun: vm%u vcpu %u: reason %u\n", vm->vmid, c->id,
			    r.reason);
			vm->failed = true;
			return NULL;
		}
	}
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf;

	if (!f || fstat(fileno(f), &st) != 0 || st.st_size <= 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)st.st_size;
	return buf;
}

/* IMAGE[:VCPUS]: a VM, or -1 with the reason printed. */
/* Free @img and the @n data images. */
static void free_images(void *img, void **data, unsigned n)
{
	free(img);
	for (unsigned i = 0; i < n; i++)
		free(data[i]);
}

static int create(const char *spec)
{
	char path[1024], *colon, *plus;
	const char *base;
	struct cv_create_vm c = {0};
	struct vm *vm = &vms[nvms];
	void *data[CV_MAX_DATA_IMAGES];
	size_t size;
	void *img;
	char *dot;

	snprintf(path, sizeof(path), "%s", spec);
	c.nvcpus = 1;
	colon = strrchr(path, ':');
	if (colon) {
		*colon = '\0';
		c.nvcpus = (unsigned)strtoul(colon + 1, NULL, 0);
	}
	/* IMAGE+DATA+DATA: the data images, from the last. */
	while ((plus = strrchr(path, '+'))) {
		size_t n;

		*plus = '\0';
		if (c.ndata == CV_MAX_DATA_IMAGES) {
			fprintf(stderr, "cvrun: %s: more than %u data images\n",
				spec, CV_MAX_DATA_IMAGES);
			free_images(NULL, data, c.ndata);
			return -1;
		}
		data[c.ndata] = read_file(plus + 1, &n);
		if (!data[c.ndata]) {
			fprintf(stderr, "cvrun: %s: cannot read\n", plus + 1);
			free_images(NULL, data, c.ndata);
			return -1;
		}
		c.data_size[c.ndata++] = n;
	}
	/* Read last to first: the VM's order is the command line's. */
	for (unsigned i = 0; i < c.ndata / 2; i++) {
		void *d = data[i];
		uint64_t n = c.data_size[i];

		data[i] = data[c.ndata - 1 - i];
		c.data_size[i] = c.data_size[c.ndata - 1 - i];
		data[c.ndata - 1 - i] = d;
		c.data_size[c.ndata - 1 - i] = n;
	}
	for (unsigned i = 0; i < c.ndata; i++)
		c.data[i] = (uint64_t)(uintptr_t)data[i];
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(c.name, sizeof(c.name), "%.15s", base);
	dot = strchr(c.name, '.');
	if (dot)
		*dot = '\0';
	img = read_file(path, &size);
	if (!img) {
		fprintf(stderr, "cvrun: %s: cannot read\n", path);
		free_images(NULL, data, c.ndata);
		return -1;
	}
	vm->fd = open(CV_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (vm->fd < 0) {
		fprintf(stderr, "cvrun: %s: %s\n", CV_DEV_PATH,
			strerror(errno));
		free_images(img, data, c.ndata);
		return -1;
	}
	c.image = (uint64_t)(uintptr_t)img;
	c.size = size;
	if (ioctl(vm->fd, CV_IOC_CREATE_VM, &c) < 0) {
		fprintf(stderr, "cvrun: %s: create VM: %s\n", path,
			strerror(errno));
		close(vm->fd);
		free_images(img, data, c.ndata);
		return -1;
	}
	free_images(img, data, c.ndata);
	vm->vmid = c.vmid;
	vm->nvcpus = c.nvcpus;
	memcpy(vm->name, c.name, sizeof(vm->name));
	pthread_mutex_init(&vm->lock, NULL);
	say("cvrun: vm%u '%s': %u vCPU(s), %zu-byte image%s verified\n",
	    vm->vmid, vm->name, vm->nvcpus, size,
	    c.ndata ? " and its data images" : "");
	nvms++;
	return 0;
}

static int bench_noop(uint64_t n)
{
	struct cv_bench b = {.iterations = n};
	int fd = open(CV_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, CV_IOC_BENCH_NOOP, &b) < 0) {
		fprintf(stderr, "cvrun: bench: %s\n", strerror(errno));
		return 1;
	}
	printf("cvrun: %" PRIu64
	       " HVC_NOOP round trips from the module in %" PRIu64 " ns\n",
	       (uint64_t)b.iterations, (uint64_t)b.ns);
	close(fd);
	return 0;
}

static int print_counter(void)
{
	uint64_t cnt, frq;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	printf("cvrun: CNTVCT_EL0 %" PRIu64 " CNTFRQ_EL0 %" PRIu64 "\n", cnt,
	       frq);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: cvrun [-q] [--on-event CMD] [--pa-of IPA] "
			"IMAGE[+DATA...][:VCPUS]...\n"
			"       cvrun --bench-noop N | --counter\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct vcpu vcpus[MAX_VMS * MAX_VCPUS];
	unsigned nvcpus = 0, ncpus, next_cpu = 0, done = 0;
	int i, status = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (!strcmp(argv[i], "--on-event") && i + 1 < argc)
			on_event = argv[++i];
		else if (!strcmp(argv[i], "--counter"))
			return print_counter();
		else if (!strcmp(argv[i], "--bench-noop") && i + 1 < argc)
			return bench_noop(strtoull(argv[i + 1], NULL, 0));
		else if (!strcmp(argv[i], "--pa-of") && i + 1 < argc)
			pa_of = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	if (i == argc || argc - i > MAX_VMS)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	for (; i < argc; i++)
		if (create(argv[i]) != 0)
			status = 1;
	for (unsigned v = 0; v < nvms; v++)
		for (unsigned j = 0; j < vms[v].nvcpus; j++) {
			struct vcpu *c = &vcpus[nvcpus++];

			c->vm = &vms[v];
			c->id = j;
			c->cpu = next_cpu++ % ncpus;
			if (pthread_create(&c->thread, NULL, vcpu_thread, c)) {
				fprintf(stderr, "cvrun: no thread\n");
				return 1;
			}
		}
	say("cvrun: running %u VM(s), %u vCPU thread(s) on %u CPU(s)\n", nvms,
	    nvcpus, ncpus);
	for (unsigned c = 0; c < nvcpus; c++)
		pthread_join(vcpus[c].thread, NULL);
	for (unsigned v = 0; v < nvms; v++) {
		struct vm *vm = &vms[v];
		struct cv_reclaim rc;

		if (!vm->off || vm->failed) {
			say("cvrun: vm%u '%s' did not power off\n", vm->vmid,
			    vm->name);
			status = 1;
			continue;
		}
		if (ioctl(vm->fd, CV_IOC_RECLAIM, &rc) < 0) {
			say("cvrun: vm%u: reclaim: %s\n", vm->vmid,
			    strerror(errno));
			status = 1;
			continue;
		}
		done++;
		say("cvrun: vm%u '%s' powered off; %" PRIu64
		    " page(s) back to Linux\n",
		    vm->vmid, vm->name, (uint64_t)rc.pages);
		close(vm->fd);
	}
	say("cvrun: %u of %u VM(s) powered off\n", done, nvms);
	return status;
}
