/* startup.S for mps2-an385 (Cortex-M3), after CMSIS's startup_ARMCM3.S:
 * vector table __Vectors, Reset_Handler copying .data and zeroing .bss,
 * then SystemInit and main. Every handler a program does not define is a
 * weak alias of Default_Handler. No CFI: like most vendor startup code. */
	.syntax unified
	.arch armv7-m
	.thumb

	.section .vectors, "a"
	.align 2
	.globl __Vectors
	.type __Vectors, %object
__Vectors:
	.long __StackTop
	.long Reset_Handler
	.long NMI_Handler
	.long HardFault_Handler
	.long MemManage_Handler
	.long BusFault_Handler
	.long UsageFault_Handler
	.long 0, 0, 0, 0
	.long SVC_Handler
	.long DebugMon_Handler
	.long 0
	.long PendSV_Handler
	.long SysTick_Handler
	/* External interrupts 0-31 (CMSDK UARTs, timers, ...) */
	.long UART0RX_IRQHandler, UART0TX_IRQHandler, UART1RX_IRQHandler, UART1TX_IRQHandler
	.long UART2RX_IRQHandler, UART2TX_IRQHandler, GPIO0ALL_IRQHandler, GPIO1ALL_IRQHandler
	.long TIMER0_IRQHandler, TIMER1_IRQHandler, DUALTIMER_IRQHandler, SPI_IRQHandler
	.rept 20
	.long Default_Handler
	.endr
	.size __Vectors, . - __Vectors

	.text
	.thumb_func
	.globl Reset_Handler
	.type Reset_Handler, %function
Reset_Handler:
	ldr r1, =__etext
	ldr r2, =__data_start__
	ldr r3, =__data_end__
1:	cmp r2, r3
	ittt lt
	ldrlt r0, [r1], #4
	strlt r0, [r2], #4
	blt 1b
	ldr r2, =__bss_start__
	ldr r3, =__bss_end__
	movs r0, #0
2:	cmp r2, r3
	itt lt
	strlt r0, [r2], #4
	blt 2b
	bl SystemInit
	bl main
	b .
	.pool
	.size Reset_Handler, . - Reset_Handler

	.thumb_func
	.weak SystemInit
	.type SystemInit, %function
SystemInit:
	bx lr
	.size SystemInit, . - SystemInit

	.thumb_func
	.weak Default_Handler
	.type Default_Handler, %function
Default_Handler:
	b .
	.size Default_Handler, . - Default_Handler

	.macro def_irq_handler handler_name
	.weak \handler_name
	.thumb_set \handler_name, Default_Handler
	.endm

	def_irq_handler NMI_Handler
	def_irq_handler HardFault_Handler
	def_irq_handler MemManage_Handler
	def_irq_handler BusFault_Handler
	def_irq_handler UsageFault_Handler
	def_irq_handler SVC_Handler
	def_irq_handler DebugMon_Handler
	def_irq_handler PendSV_Handler
	def_irq_handler SysTick_Handler
	def_irq_handler UART0RX_IRQHandler
	def_irq_handler UART0TX_IRQHandler
	def_irq_handler UART1RX_IRQHandler
	def_irq_handler UART1TX_IRQHandler
	def_irq_handler UART2RX_IRQHandler
	def_irq_handler UART2TX_IRQHandler
	def_irq_handler GPIO0ALL_IRQHandler
	def_irq_handler GPIO1ALL_IRQHandler
	def_irq_handler TIMER0_IRQHandler
	def_irq_handler TIMER1_IRQHandler
	def_irq_handler DUALTIMER_IRQHandler
	def_irq_handler SPI_IRQHandler
