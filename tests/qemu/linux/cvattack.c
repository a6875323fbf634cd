// SPDX-License-Identifier: MIT
/*
 * cvattack: hostile use of /dev/corevisor by root in the Linux host (a
 * QEMU test, mk/linux.mk test-linux-hostile-ioctls). Every call below must
 * be refused by the module with the errno named, before anything reaches
 * corevisor, and the VM it tries them on must still compute its answers
 * and power off.
 *
 *   cvattack IMAGE      (a good signed image that starts no second vCPU:
 *                       the vault, run with 2 vCPUs)
 *
 * Prints one line per check; exit 0 when every check went as expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corevisor/dev.h>

#define UART_IPA 0x09000000ULL
#define TESTDEV_IPA 0x09010000ULL

static int failures, checks;
static int vm_fd;
static int vcpu1_waiting;

static void expect(const char *what, int ret, int want_errno)
{
	int err = ret < 0 ? errno : 0;

	checks++;
	if (err == want_errno) {
		printf("cvattack: %s: refused (%s)\n", what, strerror(err));
	} else {
		printf("cvattack: FAIL: %s: got %s, expected %s\n", what,
		       err ? strerror(err) : "success", strerror(want_errno));
		failures++;
	}
	fflush(stdout);
}

/* The vault's devices, just enough for it to run (cvrun has the rest). */
static void answer(struct cv_run *r)
{
	static char line[160];
	static size_t len;
	char c = (char)r->mmio_data; /* a store's value */

	r->mmio_data = 0;
	if (r->reason != CV_RUN_MMIO)
		return;
	if (r->mmio_ipa == UART_IPA + 0x18)
		r->mmio_data = 0x90; /* TXFE | RXFE */
	else if (r->mmio_ipa == UART_IPA && r->mmio_is_write) {
		if (c == '\n' || len == sizeof(line) - 1) {
			line[len] = '\0';
			printf("[vm] %s\n", line);
			fflush(stdout);
			len = 0;
		} else if (c != '\r') {
			line[len++] = c;
		}
	} else if (r->mmio_ipa == TESTDEV_IPA + 8) {
		r->mmio_data = 0x43565444;
	}
}

/* vCPU @arg's thread: runs it until its CPU_OFF or the VM's SYSTEM_OFF. */
static void *runner(void *arg)
{
	struct cv_run r = {.vcpu = (uint32_t)(uintptr_t)arg, .cpu = CV_CPU_ANY};

	for (;;) {
		int ret;

		if (r.vcpu == 1)
			__atomic_store_n(&vcpu1_waiting, 1, __ATOMIC_RELEASE);
		ret = ioctl(vm_fd, CV_IOC_RUN_VCPU, &r);
		if (ret < 0) {
			printf("cvattack: FAIL: the VM's own run: %s\n",
			       strerror(errno));
			failures++;
			break;
		}
		if (r.reason == CV_RUN_VM_OFF || r.reason == CV_RUN_CPU_OFF)
			break;
		answer(&r);
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig; /* only to interrupt a blocked RUN_VCPU (EINTR) */
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf = NULL;

	if (f && fstat(fileno(f), &st) == 0 && st.st_size > 0) {
		buf = malloc((size_t)st.st_size);
		if (buf && fread(buf, 1, (size_t)st.st_size, f) !=
				   (size_t)st.st_size) {
			free(buf);
			buf = NULL;
		}
		*size = (size_t)st.st_size;
	}
	if (f)
		fclose(f);
	return buf;
}

static int create(int fd, const void *img, uint64_t size, uint32_t nvcpus)
{
	struct cv_create_vm c = {.image = (uint64_t)(uintptr_t)img,
				 .size = size,
				 .nvcpus = nvcpus};

	strcpy(c.name, "attacked");
	return ioctl(fd, CV_IOC_CREATE_VM, &c);
}

/*
 * CREATE_VM of @img with data images: @ndata of them, each @img again
 * (@data_size bytes at @data), and @pad.
 */
static int create_with_data(int fd, void *img, uint64_t size, uint32_t ndata,
			    const void *data, uint64_t data_size, uint32_t pad)
{
	struct cv_create_vm c = {.image = (uint64_t)(uintptr_t)img,
				 .size = size,
				 .nvcpus = 1,
				 .ndata = ndata,
				 .pad = pad};

	for (uint32_t i = 0; i < ndata && i < CV_MAX_DATA_IMAGES; i++) {
		c.data[i] = (uint64_t)(uintptr_t)data;
		c.data_size[i] = data_size;
	}
	strcpy(c.name, "attacked");
	return ioctl(fd, CV_IOC_CREATE_VM, &c);
}

/* The shared vCPU area's base, from /proc/iomem (the module claims it). */
static uint64_t shared_base(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	uint64_t base = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "corevisor shared vCPU area"))
			base = strtoull(line + strspn(line, " "), NULL, 16);
	if (f)
		fclose(f);
	return base;
}

int main(int argc, char **argv)
{
	struct cv_run r;
	struct cv_reclaim rc;
	pthread_t t0, t1;
	struct sigaction sa = {.sa_handler = on_alarm};
	size_t size;
	void *img, *m;
	uint64_t base;
	int fd, status, mem;
	pid_t pid;

	if (argc != 2 || !(img = read_file(argv[1], &size)))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(CV_DEV_PATH, O_RDWR);
	if (fd < 0)
		return 2;

	/* Calls on a file that has no VM, and bad VMs. */
	memset(&r, 0, sizeof(r));
	expect("RUN_VCPU without a VM", ioctl(fd, CV_IOC_RUN_VCPU, &r), ENODEV);
	expect("RECLAIM without a VM", ioctl(fd, CV_IOC_RECLAIM, &rc), ENODEV);
	expect("CREATE_VM with a 0-byte image", create(fd, img, 0, 1), EINVAL);
	expect("CREATE_VM with a 2^40-byte image",
	       create(fd, img, 1ULL << 40, 1), EINVAL);
	expect("CREATE_VM with 0 vCPUs", create(fd, img, size, 0), EINVAL);
	expect("CREATE_VM with 9 vCPUs", create(fd, img, size, 9), EINVAL);
	expect("CREATE_VM with 4294967295 vCPUs",
	       create(fd, img, size, 0xffffffffU), EINVAL);
	expect("CREATE_VM from an unmapped address",
	       create(fd, (void *)16, size, 1), EFAULT);
	expect("CREATE_VM with a 50-byte blob (no trailer)",
	       create(fd, img, 50, 1), EINVAL);
	expect("CREATE_VM with 5 data images",
	       create_with_data(fd, img, size, 5, img, size, 0), EINVAL);
	expect("CREATE_VM with a nonzero pad",
	       create_with_data(fd, img, size, 1, img, size, 1), EINVAL);
	expect("CREATE_VM with a 0-byte data image",
	       create_with_data(fd, img, size, 1, img, 0, 0), EINVAL);
	expect("CREATE_VM with 65 MiB of images in all",
	       create_with_data(fd, img, size, 2, img, 33ULL << 20, 0), EINVAL);
	expect("CREATE_VM with a data image at an unmapped address",
	       create_with_data(fd, img, size, 1, (void *)16, size, 0), EFAULT);
	expect("unknown ioctl", ioctl(fd, _IO('C', 99)), ENOTTY);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	expect("mmap of /dev/corevisor", m == MAP_FAILED ? -1 : 0, ENODEV);

	/* The shared vCPU area through /dev/mem: the module holds it. */
	base = shared_base();
	mem = open("/dev/mem", O_RDWR | O_SYNC);
	if (!base || mem < 0) {
		printf("cvattack: FAIL: no shared area in /proc/iomem "
		       "(0x%" PRIx64 ") or no /dev/mem\n",
		       base);
		failures++;
	} else {
		printf("cvattack: shared vCPU area at 0x%" PRIx64 "\n", base);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mem,
			 (off_t)base);
		expect("mmap of the shared vCPU area through /dev/mem",
		       m == MAP_FAILED ? -1 : 0, EPERM);
		close(mem);
	}

	/* A good VM, then calls it must refuse. */
	vm_fd = fd;
	if (create(fd, img, size, 2) != 0) {
		printf("cvattack: FAIL: good image refused: %s\n",
		       strerror(errno));
		return 1;
	}
	printf("cvattack: vm created\n");
	expect("a second CREATE_VM on the same file", create(fd, img, size, 1),
	       EEXIST);
	r = (struct cv_run){.vcpu = 2};
	expect("RUN_VCPU of vCPU 2 of a 2-vCPU VM",
	       ioctl(fd, CV_IOC_RUN_VCPU, &r), EINVAL);
	r = (struct cv_run){.vcpu = 0xffffffffU};
	expect("RUN_VCPU of vCPU 4294967295", ioctl(fd, CV_IOC_RUN_VCPU, &r),
	       EINVAL);
	r = (struct cv_run){.vcpu = 0, .cpu = 99};
	expect("RUN_VCPU bound to CPU 99", ioctl(fd, CV_IOC_RUN_VCPU, &r),
	       EINVAL);
	expect("RECLAIM of a VM that has not powered off",
	       ioctl(fd, CV_IOC_RECLAIM, &rc), EBUSY);

	/* Another process with the file (inherited): not its VM. */
	pid = fork();
	if (pid == 0) {
		struct cv_run cr = {.vcpu = 0, .cpu = CV_CPU_ANY};
		int a = ioctl(fd, CV_IOC_RUN_VCPU, &cr) < 0 ? errno : 0;
		int b = ioctl(fd, CV_IOC_RECLAIM, &rc) < 0 ? errno : 0;

		_exit(a == EPERM && b == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	checks++;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("cvattack: RUN_VCPU and RECLAIM from another process: "
		       "refused (%s)\n",
		       strerror(EPERM));
	} else {
		printf("cvattack: FAIL: another process reached the VM\n");
		failures++;
	}

	/*
	 * The same vCPU from a second thread while the first is in RUN_VCPU
	 * for it: vCPU 1's thread waits in the module (the vault never starts
	 * it) until the VM powers off. The probe is bounded by an alarm in
	 * case it got there first.
	 */
	pthread_create(&t1, NULL, runner, (void *)1);
	while (!__atomic_load_n(&vcpu1_waiting, __ATOMIC_ACQUIRE))
		usleep(1000);
	sleep(1);
	sigaction(SIGALRM, &sa, NULL);
	alarm(5);
	r = (struct cv_run){.vcpu = 1};
	expect("RUN_VCPU of a vCPU another thread runs",
	       ioctl(fd, CV_IOC_RUN_VCPU, &r), EBUSY);
	alarm(0);
	/* Now the vault itself, to its power-off (vCPU 1's thread ends). */
	pthread_create(&t0, NULL, runner, (void *)0);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);

	if (ioctl(fd, CV_IOC_RECLAIM, &rc) == 0 && rc.pages > 0) {
		printf("cvattack: vm powered off; %" PRIu64
		       " page(s) back to Linux\n",
		       (uint64_t)rc.pages);
	} else {
		printf("cvattack: FAIL: reclaim after power-off\n");
		failures++;
	}
	r = (struct cv_run){.vcpu = 0};
	expect("RUN_VCPU after the VM's pages went back",
	       ioctl(fd, CV_IOC_RUN_VCPU, &r), EBUSY);
	if (failures) {
		printf("cvattack: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("cvattack: all %d checks as expected\n", checks);
	return 0;
}
