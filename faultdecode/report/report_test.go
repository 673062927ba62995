package report

import "testing"

// The summary's "f() at file:line" names the file by its base name for
// firmware built on Windows too (Keil, IAR record C:\...\Sources\main.c).
func TestWhereNamesTheFileByItsBaseName(t *testing.T) {
	for _, tc := range []struct {
		f    Frame
		want string
	}{
		{Frame{Function: "main", File: "/home/me/fw/src/main.c", Line: 12}, "main() at main.c:12"},
		{Frame{Function: "GLO_getTemperature", File: `C:\Users\me\lab4\Sources\globals.c`, Line: 12}, "GLO_getTemperature() at globals.c:12"},
		{Frame{Function: "HAL_Init", File: `..\Drivers\STM32F4xx_HAL_Driver\Src\stm32f4xx_hal.c`, Line: 427}, "HAL_Init() at stm32f4xx_hal.c:427"},
		{Frame{Function: "net::poll(int)", File: "src/net.cpp", Line: 3}, "net::poll(int) at net.cpp:3"},
		{Frame{PC: "0x08000100"}, "0x08000100"},
	} {
		if got := tc.f.Where(); got != tc.want {
			t.Errorf("Where(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}
