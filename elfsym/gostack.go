package elfsym

// growStack gives the calling goroutine a stack of about 32 KB at once,
// as it starts: a goroutine starts with 2 KB and the DWARF readers grow
// it by doubling, each time copying it, which walks every frame on it
// through the runtime's tables. In a short run those tables are not yet
// paged in, and the copies were a twentieth of a first run's CPU on a
// small firmware; one copy of a shallow stack costs next to nothing.
//
//go:noinline
func growStack() {
	var frame [24 << 10]byte
	touchFrame(frame[:])
}

// touchFrame keeps growStack's frame from being optimised away.
//
//go:noinline
func touchFrame(b []byte) { b[len(b)-1] = 0 }
