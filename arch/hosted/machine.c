// SPDX-License-Identifier: MIT
/*
 * The hosted machine: simulated physical memory, CPUs as threads, and the
 * arch contract (core/include/cv/arch.h) for the core running in a Linux
 * process. cv_hosted_boot() builds the machine and boots the core on it.
 *
 * Physical memory is a short list of regions, each one anonymous private
 * mapping with MAP_NORESERVE, so only touched pages cost host memory:
 *   [ram_base, ram_base + ram_size)            host RAM (region 0)
 *   [reserved_base, + cv_reserved_bytes())     the core's private memory
 *                                              (region 1, 2 MiB aligned,
 *                                              just above RAM)
 * Above those, 2 MiB aligned, are the simulated SMMUs' registers
 * (smmu.c): MMIO, no region, 64 KiB each.
 * A new boot with the same layout drops every page (MADV_DONTNEED) instead
 * of remapping, so booting thousands of times in one process is cheap
 * (about 3 ms with ASan). No CPU thread may be inside the core meanwhile.
 * The last CV_HOSTED_SHARED_SIZE bytes of RAM are the host's shared
 * kvm/vcpu area (cv_boot_params.shared_base).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <cv/arch.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

#define MAX_HOSTED_REGIONS 2

struct hosted_region {
	u64 base;
	u64 size;
	u8 *mem;
};

static struct {
	bool booted;
	u32 ncpus;
	u32 nregions;
	struct hosted_region regions[MAX_HOSTED_REGIONS];
	u64 ram_base, ram_size;
	u64 reserved_base, reserved_size;
	u64 shared_base;
} machine;

static __thread u32 this_cpu;
static __thread sigjmp_buf *cpu_landing;

static struct cv_hosted_counters counters;

/* Memory */

void *arch_phys_to_virt(u64 pa)
{
	for (u32 i = 0; i < machine.nregions; i++) {
		const struct hosted_region *r = &machine.regions[i];

		if (pa - r->base < r->size)
			return r->mem + (pa - r->base);
	}
	return NULL;
}

void *cv_hosted_phys(uint64_t pa)
{
	return arch_phys_to_virt(pa);
}

uint64_t cv_hosted_ram_base(void)
{
	return machine.ram_base;
}

uint64_t cv_hosted_ram_size(void)
{
	return machine.ram_size;
}

uint64_t cv_hosted_reserved_base(void)
{
	return machine.reserved_base;
}

uint64_t cv_hosted_reserved_size(void)
{
	return machine.reserved_size;
}

uint64_t cv_hosted_shared_base(void)
{
	return machine.shared_base;
}

bool cv_hosted_page_resident(uint64_t pa)
{
	u8 *p = arch_phys_to_virt(pa & ~(PAGE_SIZE - 1));
	unsigned char vec = 0;

	if (!p || mincore(p, PAGE_SIZE, &vec))
		return false;
	return vec & 1;
}

static void unmap_regions(void)
{
	for (u32 i = 0; i < machine.nregions; i++)
		munmap(machine.regions[i].mem, machine.regions[i].size);
	machine.nregions = 0;
}

static bool same_layout(const struct hosted_region *want, u32 n)
{
	if (n != machine.nregions)
		return false;
	for (u32 i = 0; i < n; i++)
		if (want[i].base != machine.regions[i].base ||
		    want[i].size != machine.regions[i].size)
			return false;
	return true;
}

/* Give the machine the regions @want, every page zero and unbacked. */
static int build_memory(const struct hosted_region *want, u32 n)
{
	if (same_layout(want, n)) {
		for (u32 i = 0; i < n; i++)
			if (madvise(machine.regions[i].mem,
				    machine.regions[i].size, MADV_DONTNEED))
				return -1;
		return 0;
	}
	unmap_regions();
	for (u32 i = 0; i < n; i++) {
		void *m = mmap(NULL, want[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);

		if (m == MAP_FAILED) {
			unmap_regions();
			return -1;
		}
		machine.regions[i] = want[i];
		machine.regions[i].mem = m;
		machine.nregions = i + 1;
	}
	return 0;
}

/* CPUs */

void cv_hosted_set_cpu(uint32_t cpu)
{
	u32 limit = machine.booted ? machine.ncpus : TOTAL_CPU;

	if (cpu >= limit) {
		fprintf(stderr, "cv_hosted_set_cpu: cpu %u out of range (%u)\n",
			cpu, limit);
		abort();
	}
	this_cpu = cpu;
}

uint32_t cv_hosted_cpu(void)
{
	return this_cpu;
}

u32 arch_cpu_id(void)
{
	return this_cpu;
}

void arch_cpu_relax(void)
{
	static __thread unsigned int spins;

	/* Yield now and then: CPUs may outnumber host cores (CI, ASan). */
	if (++spins % 16 == 0)
		sched_yield();
#if defined(__x86_64__) || defined(__i386__)
	else
		__builtin_ia32_pause();
#endif
}

/*
 * A CPU stops for good (it waited on a lock when another CPU halted the
 * core). Inside a hosted entry (hvc, host fault, state query) it lands back
 * in that entry, which returns as the halted machine would; a thread that
 * called into the core directly ends.
 */
void arch_cpu_stop(void)
{
	__atomic_fetch_add(&counters.cpu_stops, 1, __ATOMIC_RELAXED);
	if (cpu_landing)
		siglongjmp(*cpu_landing, 1);
	pthread_exit(NULL);
}

bool cv_hosted_run(void (*fn)(void *), void *arg)
{
	sigjmp_buf jb;
	sigjmp_buf *prev = cpu_landing;

	if (sigsetjmp(jb, 0)) {
		cpu_landing = prev;
		return false;
	}
	cpu_landing = &jb;
	fn(arg);
	cpu_landing = prev;
	return true;
}

/*
 * Table syncs and flushes: counted, and the flushes drop the model TLBs'
 * entries (tlb.c) as the EL2 port's broadcast TLBIs do.
 */

void arch_pt_sync(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_fetch_add(&counters.pt_sync, 1, __ATOMIC_RELAXED);
}

void arch_tlb_flush_ipa(u32 vmid, u64 ipa)
{
	if (vmid >= NUM_PRINCIPALS) {
		__atomic_fetch_add(&counters.bad_flush, 1, __ATOMIC_RELAXED);
		return;
	}
	hosted_tlb_flush_ipa(vmid, ipa);
	__atomic_store_n(&counters.last_flush_ipa[vmid], ipa, __ATOMIC_RELAXED);
	__atomic_fetch_add(&counters.tlb_flush_ipa[vmid], 1, __ATOMIC_RELAXED);
}

void arch_tlb_flush_vmid(u32 vmid)
{
	if (vmid >= NUM_PRINCIPALS) {
		__atomic_fetch_add(&counters.bad_flush, 1, __ATOMIC_RELAXED);
		return;
	}
	hosted_tlb_flush_vmid(vmid);
	__atomic_fetch_add(&counters.tlb_flush_vmid[vmid], 1, __ATOMIC_RELAXED);
}

void arch_smmu_tlb_flush(u32 index, u32 cbndx)
{
	if (index >= SMMU_NUM || cbndx >= SMMU_NUM_CTXT_BANKS) {
		__atomic_fetch_add(&counters.bad_flush, 1, __ATOMIC_RELAXED);
		return;
	}
	hosted_smmu_tlb_flush(index, cbndx);
	__atomic_fetch_add(&counters.smmu_tlb_flush[index][cbndx], 1,
			   __ATOMIC_RELAXED);
}

void hosted_count_host_fault(void)
{
	__atomic_fetch_add(&counters.host_faults, 1, __ATOMIC_RELAXED);
}

void hosted_count_tlb(bool smmu, bool hit)
{
	u64 *c = smmu ? (hit ? &counters.smmu_tlb_hits
			     : &counters.smmu_tlb_fills)
		      : (hit ? &counters.tlb_hits : &counters.tlb_fills);

	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void cv_hosted_get_counters(struct cv_hosted_counters *out)
{
	u64 *dst = (u64 *)out;
	u64 *src = (u64 *)&counters;

	for (size_t i = 0; i < sizeof(counters) / sizeof(u64); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void cv_hosted_reset_counters(void)
{
	u64 *c = (u64 *)&counters;

	for (size_t i = 0; i < sizeof(counters) / sizeof(u64); i++)
		__atomic_store_n(&c[i], 0, __ATOMIC_RELAXED);
}

/* Console */

#define CAPTURE_BYTES 65536

static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int console_mode = CV_CONSOLE_STDERR;
static char capture[CAPTURE_BYTES];
static size_t capture_len;

void cv_hosted_console_mode(unsigned int mode)
{
	pthread_mutex_lock(&console_lock);
	console_mode = mode;
	pthread_mutex_unlock(&console_lock);
}

const char *cv_hosted_console_text(void)
{
	return capture;
}

void cv_hosted_console_clear(void)
{
	pthread_mutex_lock(&console_lock);
	capture_len = 0;
	capture[0] = '\0';
	pthread_mutex_unlock(&console_lock);
}

void arch_console_write(const char *s)
{
	size_t n = strlen(s);

	pthread_mutex_lock(&console_lock);
	if (console_mode & CV_CONSOLE_STDERR)
		fputs(s, stderr);
	if (console_mode & CV_CONSOLE_CAPTURE) {
		size_t room = CAPTURE_BYTES - 1 - capture_len;
		size_t k = n < room ? n : room;

		memcpy(capture + capture_len, s, k);
		capture_len += k;
		capture[capture_len] = '\0';
	}
	pthread_mutex_unlock(&console_lock);
}

/* Fail-stop: record it (cv.halt_reason holds the reason) and return. */
void arch_halt(const char *reason)
{
	char line[CV_HALT_REASON_LEN + 32];

	__atomic_fetch_add(&counters.halts, 1, __ATOMIC_RELAXED);
	snprintf(line, sizeof(line), "corevisor: halted: %s\n", reason);
	arch_console_write(line);
}

bool cv_hosted_halted(void)
{
	return halted();
}

const char *cv_hosted_halt_reason(void)
{
	return __atomic_load_n(&cv.halted, __ATOMIC_ACQUIRE) == 1
		       ? cv.halt_reason
		       : "";
}

/* Boot */

static void random_bytes(void *buf, size_t n)
{
	u8 *p = buf;

	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			perror("getrandom");
			abort();
		}
		p += got;
		n -= (size_t)got;
	}
}

void cv_hosted_default_config(struct cv_hosted_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_base = 0x40000000ULL;
	cfg->ram_size = 1ULL << 30;
	cfg->ncpus = 4;
	cfg->tlb = true;
	cfg->nsmmu = 1;
	cfg->smmu_context_banks = SMMU_NUM_CTXT_BANKS;
	random_bytes(cfg->aead_key, sizeof(cfg->aead_key));
}

static bool config_valid(const struct cv_hosted_config *cfg)
{
	u64 end = cfg->ram_base + cfg->ram_size;

	return cfg->ram_size >= 2 * CV_HOSTED_SHARED_SIZE &&
	       !((cfg->ram_base | cfg->ram_size) & (PMD_SIZE - 1)) &&
	       end > cfg->ram_base && end < KVM_PHYS_SIZE / 2 &&
	       cfg->ncpus >= 1 && cfg->ncpus <= TOTAL_CPU &&
	       cfg->ntrusted_keys <= CV_MAX_TRUSTED_KEYS &&
	       cfg->nsmmu <= SMMU_NUM &&
	       (!cfg->smmuv3 ||
		cfg->ram_base >=
			CV_HOSTED_SMMUV3_BASE + CV_HOSTED_SMMUV3_SIZE) &&
	       (cfg->nsmmu == 0 ||
		(cfg->smmu_context_banks >= 1 &&
		 cfg->smmu_context_banks <= SMMU_NUM_CTXT_BANKS));
}

/*
 * The reserved region is itself a memory region (its pages must be owned
 * by COREVISOR), so its size feeds back into cv_reserved_bytes() through
 * the s2page array: grow it until it holds what the core asks for.
 */
static void place_reserved(struct cv_boot_params *p, u64 ram_end)
{
	u64 size = PMD_SIZE;

	p->reserved_base = ALIGN_UP(ram_end, PMD_SIZE);
	p->nregions = 2;
	for (;;) {
		u64 need;

		p->regions[1].base = p->reserved_base;
		p->regions[1].size = size;
		need = ALIGN_UP(cv_reserved_bytes(p), PMD_SIZE);
		if (need <= size)
			break;
		size = need;
	}
	p->reserved_size = size;
}

int cv_hosted_boot(const struct cv_hosted_config *cfg)
{
	static struct cv_boot_params p;
	struct hosted_region want[MAX_HOSTED_REGIONS];

	machine.booted = false;
	if (!config_valid(cfg))
		return -1;

	memset(&p, 0, sizeof(p));
	p.regions[0].base = cfg->ram_base;
	p.regions[0].size = cfg->ram_size;
	/* The SMMUv3 first: its stream pool counts in the reserve. */
	hosted_smmuv3_reset(cfg->smmuv3, CV_HOSTED_SMMUV3_BASE);
	hosted_smmuv3_params(&p);
	hosted_gic_reset(cfg->gic, cfg->ncpus);
	hosted_gic_params(&p);
	place_reserved(&p, cfg->ram_base + cfg->ram_size);
	p.shared_base = cfg->ram_base + cfg->ram_size - CV_HOSTED_SHARED_SIZE;
	p.pa_bits = CV_HOSTED_PA_BITS;
	p.ntrusted_keys = cfg->ntrusted_keys;
	memcpy(p.trusted_keys, cfg->trusted_keys, sizeof(p.trusted_keys));
	memcpy(p.aead_key, cfg->aead_key, sizeof(p.aead_key));
	random_bytes(p.nonce_salt, sizeof(p.nonce_salt));

	for (u32 i = 0; i < p.nregions; i++) {
		want[i].base = p.regions[i].base;
		want[i].size = p.regions[i].size;
		want[i].mem = NULL;
	}
	if (build_memory(want, p.nregions))
		return -1;

	machine.ncpus = cfg->ncpus;
	machine.ram_base = cfg->ram_base;
	machine.ram_size = cfg->ram_size;
	machine.reserved_base = p.reserved_base;
	machine.reserved_size = p.reserved_size;
	machine.shared_base = p.shared_base;
	cv_hosted_reset_counters();
	hosted_vcpu_reset();
	hosted_tlb_reset(cfg->tlb); /* CPUs and SMMUs come out of reset */
	/* The SMMUs' registers: MMIO just above the core's region. */
	hosted_smmu_reset(
		cfg->nsmmu, cfg->smmu_context_banks,
		ALIGN_UP(p.reserved_base + p.reserved_size, PMD_SIZE));
	hosted_smmu_params(&p);
	if (this_cpu >= machine.ncpus)
		this_cpu = 0;

	if (cv_boot(&p))
		return -1;
	machine.booted = true;
	return 0;
}
