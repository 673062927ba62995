// Package config reads faultline.toml, the per-project defaults for the
// flags every command shares (elf, gdb, serial, board, dir, match, mem),
// and fills the flags the user did not set from it: flags beat the file,
// the file beats the defaults.
//
// It must not know the commands: it fills whichever of those flags a
// command's flag set has. A missing file is no error; an unknown key is,
// so a typo is not silently ignored.
package config
