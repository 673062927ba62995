package rtos

import (
	"errors"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
)

type fakeImage map[string]elfsym.Variable

func (f fakeImage) LookupVariable(name string) (elfsym.Variable, bool) {
	v, ok := f[name]
	return v, ok
}

func (f fakeImage) LookupSymbol(string) (elfsym.Symbol, bool) { return elfsym.Symbol{}, false }

func TestReadSaysWhyItCannotListTasks(t *testing.T) {
	tcb := &elfsym.Type{Kind: elfsym.KindStruct, Name: "tskTaskControlBlock", Size: 80,
		Fields: []elfsym.Field{{Name: "pxTopOfStack", Offset: 0}}}
	tests := []struct {
		name    string
		img     fakeImage
		wantErr string
	}{
		{"bare metal", fakeImage{"main": {Name: "main"}}, ErrNotFreeRTOS.Error()},
		{"no DWARF", fakeImage{"pxCurrentTCB": {Name: "pxCurrentTCB", Addr: 0x20000000, Size: 4}}, "-g"},
		{"a TCB type without the kernel's members", fakeImage{"pxCurrentTCB": {Name: "pxCurrentTCB", Addr: 0x20000000, Size: 4,
			Type: &elfsym.Type{Kind: elfsym.KindPointer, Size: 4, Elem: tcb}}}, "TCB_t.xStateListItem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, err := Read(tt.img, wordMem{0x20000000, make([]uint32, 64)}, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Read = %v, %v; want an error mentioning %q", sys, err, tt.wantErr)
			}
			if tt.name == "bare metal" && !errors.Is(err, ErrNotFreeRTOS) {
				t.Errorf("error %v is not ErrNotFreeRTOS", err)
			}
		})
	}
}
