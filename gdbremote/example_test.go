package gdbremote_test

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

func Example() {
	fk, _ := rsptest.NewOpenOCD(rsptest.Config{
		State:  rsptest.State{Regs: map[string]uint64{"pc": 0x08000130, "msp": 0x2001ffd0}},
		Script: []rsptest.Run{rsptest.LockupRun(rsptest.OpenOCDTarget, 10*time.Millisecond)},
	})
	addr, _ := fk.Start()
	defer fk.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := gdbremote.Dial(ctx, addr, gdbremote.Options{
		OnConsole: func(s string) { fmt.Print("console: ", s) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cl.Close()
	regs, _ := cl.ReadRegisters(ctx)
	fmt.Printf("%s stub, pc=%#x msp=%#x\n", cl.Stub(), regs["pc"], regs["msp"])

	cl.Continue(ctx)
	sr, _ := cl.WaitStop(ctx)
	fmt.Println("stop:", sr.Raw)
	// Output:
	// openocd stub, pc=0x8000130 msp=0x2001ffd0
	// console: [stm32f2x.cpu] clearing lockup after double fault
	// stop: T02
}
