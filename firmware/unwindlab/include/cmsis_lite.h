/* cmsis_lite.h: the parts of CMSIS-Core this lab uses, written the CMSIS
 * way (register structs at fixed bases, _Pos/_Msk constants, intrinsics as
 * static inline functions), so the programs read like vendor-SDK firmware. */
#ifndef CMSIS_LITE_H
#define CMSIS_LITE_H

#include <stdint.h>

#define __I  volatile const
#define __O  volatile
#define __IO volatile

typedef struct {
	__I  uint32_t CPUID;
	__IO uint32_t ICSR;
	__IO uint32_t VTOR;
	__IO uint32_t AIRCR;
	__IO uint32_t SCR;
	__IO uint32_t CCR;
	__IO uint8_t  SHP[12];
	__IO uint32_t SHCSR;
	__IO uint32_t CFSR;
	__IO uint32_t HFSR;
	__IO uint32_t DFSR;
	__IO uint32_t MMFAR;
	__IO uint32_t BFAR;
	__IO uint32_t AFSR;
} SCB_Type;

typedef struct {
	__IO uint32_t CTRL;
	__IO uint32_t LOAD;
	__IO uint32_t VAL;
	__I  uint32_t CALIB;
} SysTick_Type;

typedef struct {
	__I  uint32_t TYPE;
	__IO uint32_t CTRL;
	__IO uint32_t RNR;
	__IO uint32_t RBAR;
	__IO uint32_t RASR;
} MPU_Type;

typedef struct {
	__IO uint32_t ISER[8];
	uint32_t RESERVED0[24];
	__IO uint32_t ICER[8];
	uint32_t RESERVED1[24];
	__IO uint32_t ISPR[8];
	uint32_t RESERVED2[24];
	__IO uint32_t ICPR[8];
	uint32_t RESERVED3[24];
	__IO uint32_t IABR[8];
	uint32_t RESERVED4[56];
	__IO uint8_t IP[240];
} NVIC_Type;

/* CMSIS's __STATIC_FORCEINLINE: intrinsics are inlined at -O0 too. */
#define __STATIC_FORCEINLINE __attribute__((always_inline)) static inline

#define SCS_BASE     0xE000E000UL
#define SysTick_BASE (SCS_BASE + 0x0010UL)
#define NVIC_BASE    (SCS_BASE + 0x0100UL)
#define SCB_BASE     (SCS_BASE + 0x0D00UL)
#define MPU_BASE     (SCS_BASE + 0x0D90UL)

#define SCB     ((SCB_Type *)SCB_BASE)
#define SysTick ((SysTick_Type *)SysTick_BASE)
#define NVIC    ((NVIC_Type *)NVIC_BASE)
#define MPU     ((MPU_Type *)MPU_BASE)

#define SCB_SHCSR_MEMFAULTENA_Msk (1UL << 16)
#define SCB_SHCSR_BUSFAULTENA_Msk (1UL << 17)
#define SCB_SHCSR_USGFAULTENA_Msk (1UL << 18)
#define SCB_CCR_UNALIGN_TRP_Msk   (1UL << 3)
#define SCB_CCR_DIV_0_TRP_Msk     (1UL << 4)
#define SCB_ICSR_PENDSTSET_Msk    (1UL << 26)

#define SysTick_CTRL_ENABLE_Msk    (1UL << 0)
#define SysTick_CTRL_TICKINT_Msk   (1UL << 1)
#define SysTick_CTRL_CLKSOURCE_Msk (1UL << 2)

#define MPU_CTRL_ENABLE_Msk     (1UL << 0)
#define MPU_CTRL_PRIVDEFENA_Msk (1UL << 2)
#define MPU_RBAR_VALID_Msk      (1UL << 4)
#define MPU_RASR_ENABLE_Msk     (1UL << 0)
#define MPU_RASR_SIZE_Pos       1U
#define MPU_RASR_AP_Pos         24U
#define MPU_RASR_XN_Msk         (1UL << 28)

/* System handler priority: SHP[0] is MemManage (exception 4). */
__STATIC_FORCEINLINE void NVIC_SetSysPriority(unsigned exc, uint8_t prio)
{
	SCB->SHP[exc - 4U] = prio;
}

__STATIC_FORCEINLINE void __DSB(void) { __asm volatile("dsb 0xF" ::: "memory"); }
__STATIC_FORCEINLINE void __ISB(void) { __asm volatile("isb 0xF" ::: "memory"); }
__STATIC_FORCEINLINE void __WFI(void) { __asm volatile("wfi"); }
__STATIC_FORCEINLINE void __enable_irq(void) { __asm volatile("cpsie i" ::: "memory"); }
__STATIC_FORCEINLINE void __disable_irq(void) { __asm volatile("cpsid i" ::: "memory"); }

__STATIC_FORCEINLINE void __set_PSP(uint32_t v) { __asm volatile("msr psp, %0" : : "r"(v)); }
__STATIC_FORCEINLINE uint32_t __get_CONTROL(void)
{
	uint32_t v;
	__asm volatile("mrs %0, control" : "=r"(v));
	return v;
}
__STATIC_FORCEINLINE void __set_CONTROL(uint32_t v) { __asm volatile("msr control, %0" : : "r"(v) : "memory"); }

#if defined(__ARM_ARCH_8M_MAIN__)
__STATIC_FORCEINLINE void __set_MSPLIM(uint32_t v) { __asm volatile("msr msplim, %0" : : "r"(v)); }
__STATIC_FORCEINLINE void __set_PSPLIM(uint32_t v) { __asm volatile("msr psplim, %0" : : "r"(v)); }
#endif

/* OPAQUE hides a value from the optimiser, as reading it from a device or
 * another module would: the faults below must survive -O3 and LTO. */
#define OPAQUE(x) __asm volatile("" : "+r"(x))

#endif
