package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/pflag"

	"github.com/faultline-dev/faultline/probe/memrange"
)

// FileName is the config file, read from the working directory.
const FileName = "faultline.toml"

// File is faultline.toml. Keys match the long flag names.
type File struct {
	ELF    string            `toml:"elf"`
	GDB    string            `toml:"gdb"`
	Serial string            `toml:"serial"`
	Board  string            `toml:"board"`
	Dir    string            `toml:"dir"`
	Match  map[string]string `toml:"match"` // detector name -> regular expression
	Mem    []string          `toml:"mem"`   // extra capture ranges, "ADDR:SIZE" as --mem
}

// Load reads the config file at path; a missing file is no error (and an
// empty File). An unknown key is an error that lists the known ones; a
// malformed file's error says the line and column.
//
// The parser is go-toml/v2, which does nothing at package init:
// BurntSushi/toml, used before, loads the local time zone (reads and
// parses /etc/localtime) in its init, which every faultline command paid
// at start, symbolize included, whether or not a faultline.toml exists
// (about 0.15 ms of a 3 ms symbolize).
func Load(path string) (File, error) {
	var cfg File
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read %s: %w", path, err)
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(&cfg)
	var unknown *toml.StrictMissingError
	if errors.As(err, &unknown) && len(unknown.Errors) > 0 {
		return File{}, fmt.Errorf("%s: unknown key %q (known: elf, gdb, serial, board, dir, match, mem)", path, strings.Join(unknown.Errors[0].Key(), "."))
	}
	var bad *toml.DecodeError
	if errors.As(err, &bad) {
		line, col := bad.Position()
		return File{}, fmt.Errorf("parse %s: line %d, column %d: %w", path, line, col, err)
	}
	if err != nil {
		return File{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return cfg, nil
}

// Apply fills the flags of fl the user did not set from cfg: flags beat
// the file, the file beats the defaults. Flags fl does not have are
// skipped; a bad value is an error naming the key.
func (cfg File) Apply(fl *pflag.FlagSet) error {
	set := func(name, val string) error {
		f := fl.Lookup(name)
		if f == nil || f.Changed || val == "" {
			return nil
		}
		return f.Value.Set(val)
	}
	for name, val := range map[string]string{"elf": cfg.ELF, "gdb": cfg.GDB, "serial": cfg.Serial, "board": cfg.Board, "dir": cfg.Dir} {
		if err := set(name, val); err != nil {
			return fmt.Errorf("%s: %s: %w", FileName, name, err)
		}
	}
	if f := fl.Lookup("mem"); f != nil && !f.Changed {
		for _, m := range cfg.Mem {
			if _, err := memrange.Parse(m); err != nil {
				return fmt.Errorf("%s: mem: %w", FileName, err)
			}
			if err := f.Value.Set(m); err != nil {
				return fmt.Errorf("%s: mem %q: %w", FileName, m, err)
			}
		}
	}
	if f := fl.Lookup("match"); f != nil && !f.Changed {
		for name, re := range cfg.Match {
			if err := f.Value.Set(name + "=" + re); err != nil {
				return fmt.Errorf("%s: match %s: %w", FileName, name, err)
			}
		}
	}
	return nil
}
