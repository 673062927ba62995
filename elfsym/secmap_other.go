//go:build !unix

package elfsym

import "os"

// mapSection cannot map here: sections are read.
func mapSection(*os.File, uint64, uint64) (sec, mapping []byte, ok bool) { return nil, nil, false }

func unmapSection([]byte) {}
