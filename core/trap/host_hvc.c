// SPDX-License-Identifier: MIT
/*
 * TrapDispatcher host_hvc_dispatcher: the host's hypercalls. The argument
 * checks are TrapDispatcherSpec's, call for call; corevisor's own calls
 * (and the sealing calls the spec's dispatcher leaves out) check what the
 * callee's `rely` lines require. A failed check panics before anything
 * changes.
 *
 * VCPU_RUN is dispatched first (vcpu_run_call: the hot path), then NOOP;
 * every other call is one case of checked_call. ENABLE_S2_TRANS (the EL2
 * boot path) is not served here: it returns INVALID64. BOOT_FROM_SAVED_VM
 * (no spec function) ends a snapshot restore (core/boot/snapshot.c). Nor is
 * corevisor's retired VCPU_ACTIVE (abi.h): a vCPU is ACTIVE only for a
 * VCPU_RUN, which sets it so itself.
 */
#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <cv/boot.h>
#include <cv/panic.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/state.h>
#include <cv/trap.h>

#define ULL(x) ((unsigned long long)(x))

/* Panic: @name's arguments failed TrapDispatcher's checks. */
static void bad_args(const char *name, const u64 a[6])
{
	panic("host_hvc: %s bad args 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx", name,
	      ULL(a[1]), ULL(a[2]), ULL(a[3]), ULL(a[4]), ULL(a[5]));
}

/* @a + @b < @limit without wrapping (the spec's unbounded arithmetic). */
static bool sum_below(u64 a, u64 b, u64 limit)
{
	return a < limit && b < limit - a;
}

static bool vm_arg(u64 v)
{
	return v > HOSTVISOR && v < COREVISOR;
}

static bool vcpu_arg(u64 v)
{
	return v < VCPU_PER_VM;
}

/* A VM's vmid in @a[1] and one of its vCPUs in @a[2]. */
static bool vm_vcpu_args(const u64 a[6])
{
	return vm_arg(a[1]) && vcpu_arg(a[2]);
}

/*
 * Every call but VCPU_RUN and NOOP, each after TrapDispatcher's checks.
 * Returns false when @a[0] is none of them; else *ret is the call's result
 * (0 for a call without one).
 */
static bool checked_call(const u64 a[6], u64 *ret)
{
	const char *bad = NULL;

	*ret = 0;
	switch (a[0]) {
	/* BootOps */
	case HVC_SET_BOOT_INFO:
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE ||
		    a[3] >= KVM_PHYS_SIZE ||
		    !sum_below(a[2], a[3], KVM_PHYS_SIZE))
			bad = "SET_BOOT_INFO";
		else
			*ret = set_boot_info((u32)a[1], a[2], a[3]);
		break;
	case HVC_REMAP_VM_IMAGE:
		if (!vm_arg(a[1]) || a[2] >= KVM_PFN_SPACE ||
		    a[3] >= MAX_LOAD_INFO_NUM)
			bad = "REMAP_VM_IMAGE";
		else
			remap_vm_image((u32)a[1], a[2], (u32)a[3]);
		break;
	case HVC_VERIFY_VM_IMAGES:
		if (!vm_arg(a[1]))
			bad = "VERIFY_VM_IMAGES";
		else
			verify_and_load_images((u32)a[1]);
		break;
	case HVC_REGISTER_KVM:
		*ret = register_kvm();
		break;
	case HVC_SET_VM_REGION:
		/* corevisor: set_vm_region checks the region itself. */
		if (!vm_arg(a[1]) || a[4] > 0xffffffffULL)
			bad = "SET_VM_REGION";
		else
			set_vm_region((u32)a[1], a[2], a[3], (u32)a[4]);
		break;
	case HVC_REGISTER_VCPU:
		if (!vm_vcpu_args(a))
			bad = "REGISTER_VCPU";
		else
			register_vcpu((u32)a[1], (u32)a[2]);
		break;
	case HVC_IS_INC_EXE:
		if (!vm_arg(a[1]))
			bad = "IS_INC_EXE";
		else
			*ret = is_inc_exe((u32)a[1]);
		break;
	case HVC_MAP_IO:
		if (!vm_arg(a[1]) || a[2] >= KVM_ADDR_SPACE ||
		    a[3] >= KVM_PHYS_SIZE)
			bad = "MAP_IO";
		else
			map_io((u32)a[1], a[2], a[3]);
		break;
	case HVC_ASSIGN_SMMU:
		/* vmid 0 (a host device) is a no-op, as in assign_smmu_spec0.
		 */
		if (a[1] >= COREVISOR || a[2] >= KVM_PFN_SPACE ||
		    a[3] >= KVM_GFN_SPACE)
			bad = "ASSIGN_SMMU";
		else
			assign_smmu((u32)a[1], a[2], a[3]);
		break;
	case HVC_ENCRYPT_BUF:
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE ||
		    a[3] >= KVM_PHYS_SIZE)
			bad = "ENCRYPT_BUF";
		else
			save_encrypt_buf((u32)a[1], a[2], a[3]);
		break;
	case HVC_DECRYPT_BUF:
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE)
			bad = "DECRYPT_BUF";
		else
			load_decrypt_buf((u32)a[1], a[2]);
		break;
	case HVC_SAVE_CRYPT_VCPU:
		if (!vm_vcpu_args(a))
			bad = "SAVE_CRYPT_VCPU";
		else
			save_encrypted_vcpu((u32)a[1], (u32)a[2]);
		break;
	case HVC_LOAD_CRYPT_VCPU:
		if (!vm_vcpu_args(a))
			bad = "LOAD_CRYPT_VCPU";
		else
			load_encrypted_vcpu((u32)a[1], (u32)a[2]);
		break;

	/* The vCPU and trap layers (VCPUOps, CtxtSwitch, MemHandler) */
	case HVC_TIMER_SET_CNTVOFF:
		timer_set_cntvoff(a[1]);
		break;
	case HVC_CLEAR_VM_S2_RANGE:
		if (!vm_arg(a[1]) || a[2] >= KVM_ADDR_SPACE ||
		    a[3] >= KVM_ADDR_SPACE)
			bad = "CLEAR_VM_S2_RANGE";
		else
			clear_vm_stage2_range((u32)a[1], a[2], a[3]);
		break;
	case HVC_PHYS_ADDR_IOREMAP:
		if (a[1] > COREVISOR ||
		    !sum_below(a[2], a[4], KVM_ADDR_SPACE) ||
		    !sum_below(a[3], a[4], KVM_PHYS_SIZE))
			bad = "PHYS_ADDR_IOREMAP";
		else
			kvm_phys_addr_ioremap((u32)a[1], a[2], a[3], a[4]);
		break;
	case HVC_GET_SHARED_BASE:
		*ret = cv.shared_base;
		break;
	case HVC_DESTROY_VM: /* corevisor: x1 = vmid, x2 = flags */
		if (!vm_arg(a[1]) || (a[2] & ~CV_DESTROY_FORCE))
			bad = "DESTROY_VM";
		else
			*ret = destroy_vm((u32)a[1], a[2]);
		break;
	/* corevisor: snapshot and restore (core/boot/snapshot.c). */
	case HVC_SNAPSHOT_BEGIN:
		if (!vm_arg(a[1]))
			bad = "SNAPSHOT_BEGIN";
		else
			*ret = snapshot_begin((u32)a[1]);
		break;
	case HVC_SNAPSHOT_PAGE:
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE)
			bad = "SNAPSHOT_PAGE";
		else
			*ret = snapshot_page((u32)a[1], a[2]);
		break;
	case HVC_SNAPSHOT_VCPU:
		if (!vm_vcpu_args(a) || a[3] >= KVM_PHYS_SIZE)
			bad = "SNAPSHOT_VCPU";
		else
			*ret = snapshot_vcpu((u32)a[1], (u32)a[2], a[3]);
		break;
	case HVC_SNAPSHOT_END:
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE)
			bad = "SNAPSHOT_END";
		else
			*ret = snapshot_end((u32)a[1], a[2]);
		break;
	case HVC_RESTORE_BEGIN:
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE)
			bad = "RESTORE_BEGIN";
		else
			*ret = restore_begin((u32)a[1], a[2]);
		break;
	case HVC_RESTORE_PAGE:
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE)
			bad = "RESTORE_PAGE";
		else
			*ret = restore_page((u32)a[1], a[2]);
		break;
	case HVC_RESTORE_VCPU:
		if (!vm_vcpu_args(a) || a[3] >= KVM_PHYS_SIZE)
			bad = "RESTORE_VCPU";
		else
			*ret = restore_vcpu((u32)a[1], (u32)a[2], a[3]);
		break;
	case HVC_BOOT_FROM_SAVED_VM:
		if (!vm_arg(a[1]))
			bad = "BOOT_FROM_SAVED_VM";
		else
			*ret = boot_from_saved_vm((u32)a[1]);
		break;
	case HVC_SMMUV3_EVENTS: /* corevisor: cv/stream.h */
		*ret = cv.smmuv3_base ? arch_smmuv3_events() : 0;
		break;
	case HVC_SMMUV3_ATTACH: /* corevisor: x1 = stream, x2 = vmid or 0 */
		if (a[1] >= CV_SMMUV3_STREAMS || a[2] >= COREVISOR)
			bad = "SMMUV3_ATTACH";
		else
			*ret = smmuv3_attach((u32)a[1], (u32)a[2]);
		break;
	case HVC_SMMUV3_MAP: /* corevisor: x1 = vmid, x2 = iova, x3 = pfn */
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE ||
		    a[3] >= KVM_PFN_SPACE)
			bad = "SMMUV3_MAP";
		else
			*ret = smmuv3_map((u32)a[1], a[2], a[3]);
		break;
	case HVC_SMMUV3_UNMAP: /* corevisor: x1 = vmid, x2 = iova */
		if (!vm_arg(a[1]) || a[2] >= KVM_PHYS_SIZE)
			bad = "SMMUV3_UNMAP";
		else
			*ret = smmuv3_unmap((u32)a[1], a[2]);
		break;

	/* The SMMU calls (core/smmu: MmioOps, MemHandler) */
	case HVC_SMMU_FREE_PGD: /* x1 = cbndx, x2 = index */
		if (a[1] >= SMMU_NUM_CTXT_BANKS || a[2] >= SMMU_NUM)
			bad = "SMMU_FREE_PGD";
		else
			el2_free_smmu_pgd((u32)a[1], (u32)a[2]);
		break;
	case HVC_SMMU_ALLOC_PGD: /* x1 = cbndx, x2 = vmid, x3 = index */
		if (a[1] >= SMMU_NUM_CTXT_BANKS || a[2] >= COREVISOR ||
		    a[3] >= SMMU_NUM)
			bad = "SMMU_ALLOC_PGD";
		else
			el2_alloc_smmu_pgd((u32)a[1], (u32)a[2], (u32)a[3]);
		break;
	case HVC_SMMU_LPAE_MAP: /* MemHandler el2_arm_lpae_map */
		/* x3 is the attributes: no output-address bits allowed. */
		if (a[1] >= KVM_PHYS_SIZE || a[2] >= KVM_PHYS_SIZE ||
		    a[3] >= 0x7fffffffffffffffULL || phys_page(a[3]) != 0 ||
		    a[4] >= SMMU_NUM_CTXT_BANKS || a[5] >= SMMU_NUM)
			bad = "SMMU_LPAE_MAP";
		else
			el2_arm_lpae_map(a[1], a[2], a[3], (u32)a[4],
					 (u32)a[5]);
		break;
	case HVC_SMMU_LPAE_IOVA_TO_PHYS: /* x1 = iova, x2 = cbndx, x3 = index */
	case HVC_SMMU_CLEAR:
		if (a[1] >= KVM_PHYS_SIZE || a[2] >= SMMU_NUM_CTXT_BANKS ||
		    a[3] >= SMMU_NUM)
			bad = a[0] == HVC_SMMU_CLEAR ? "SMMU_CLEAR"
						     : "SMMU_LPAE_IOVA_TO_PHYS";
		else if (a[0] == HVC_SMMU_CLEAR)
			el2_arm_lpae_clear(a[1], (u32)a[2], (u32)a[3]);
		else
			*ret = el2_arm_lpae_iova_to_phys(a[1], (u32)a[2],
							 (u32)a[3]);
		break;

	/* Not served here: INVALID64 */
	case HVC_ENABLE_S2_TRANS: /* the EL2 boot path */
		*ret = INVALID64;
		break;
	default:
		return false;
	}
	if (bad)
		bad_args(bad, a);
	return true;
}

/* HVC_VCPU_RUN, the hot path (restore_vm's checks first). */
static u64 vcpu_run_call(const u64 a[6])
{
	u64 ret;

	if (!vm_vcpu_args(a)) {
		bad_args("VCPU_RUN", a);
		return 0;
	}
	ret = host_vcpu_run_handler((u32)a[1], (u32)a[2]);
	return halted() ? 0 : ret;
}

u64 host_hvc_dispatch(const u64 args[6])
{
	u64 ret;

	if (halted())
		return 0;
	if (args[0] == HVC_VCPU_RUN)
		return vcpu_run_call(args);
	if (args[0] == HVC_NOOP)
		return 0;
	if (checked_call(args, &ret))
		return halted() ? 0 : ret;
	/* The spec's dispatcher ignores numbers it does not know. */
	return INVALID64;
}
