/* cube_error: an STM32CubeMX-style main.c. MX_USART2_UART_Init fills the
 * handle and calls HAL_UART_Init, which refuses a zero baud rate (the
 * board's clock configuration left the console's baud unset) with
 * HAL_ERROR; the generated code then calls Error_Handler(), which is
 * __disable_irq(); while (1) {}: no fault, the board hangs. */
#include <stdint.h>

typedef enum { HAL_OK = 0, HAL_ERROR = 1, HAL_BUSY = 2, HAL_TIMEOUT = 3 } HAL_StatusTypeDef;

typedef struct {
	uint32_t BaudRate;
	uint32_t WordLength;
	uint32_t StopBits;
	uint32_t Parity;
	uint32_t Mode;
} UART_InitTypeDef;

typedef struct {
	volatile uint32_t *Instance;
	UART_InitTypeDef Init;
	uint32_t ErrorCode;
} UART_HandleTypeDef;

#define USART2_BASE ((volatile uint32_t *)0x40004000) /* the board's UART0 */
#define UART_MODE_TX_RX 0x0C

void Error_Handler(void);

UART_HandleTypeDef huart2;
uint32_t g_console_baud; /* set by the clock configuration: never set */

/* The HAL's init, trimmed: parameters checked, then the peripheral set. */
__attribute__((noinline)) HAL_StatusTypeDef HAL_UART_Init(UART_HandleTypeDef *huart)
{
	if (huart == 0 || huart->Init.BaudRate == 0) {
		if (huart)
			huart->ErrorCode = 0x20;
		return HAL_ERROR;
	}
	huart->Instance[4] = 25000000u / huart->Init.BaudRate; /* BAUDDIV */
	huart->Instance[2] = 1;                               /* CTRL: TX on */
	return HAL_OK;
}

__attribute__((noinline)) HAL_StatusTypeDef HAL_Init(void) { return HAL_OK; }

__attribute__((noinline)) static void SystemClock_Config(void)
{
	/* The console's baud comes from the clock tree; a missing case here
	 * leaves it zero. */
}

__attribute__((noinline)) static void MX_USART2_UART_Init(void)
{
	huart2.Instance = USART2_BASE;
	huart2.Init.BaudRate = g_console_baud;
	huart2.Init.WordLength = 0;
	huart2.Init.StopBits = 0;
	huart2.Init.Parity = 0;
	huart2.Init.Mode = UART_MODE_TX_RX;
	if (HAL_UART_Init(&huart2) != HAL_OK) {
		Error_Handler();
	}
}

int main(void)
{
	HAL_Init();
	SystemClock_Config();
	MX_USART2_UART_Init();
	while (1) {
	}
}

void Error_Handler(void)
{
	/* USER CODE BEGIN Error_Handler_Debug */
	/* User can add his own implementation to report the HAL error return state */
	__asm volatile("cpsid i" ::: "memory"); /* __disable_irq() */
	while (1) {
	}
	/* USER CODE END Error_Handler_Debug */
}
