package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/probe"
)

// configFile is read from the working directory. Flags beat it; it beats
// the defaults.
const configFile = "faultline.toml"

// fileConfig is faultline.toml. Keys match the long flag names.
type fileConfig struct {
	ELF    string            `toml:"elf"`
	GDB    string            `toml:"gdb"`
	Serial string            `toml:"serial"`
	Board  string            `toml:"board"`
	Dir    string            `toml:"dir"`
	Match  map[string]string `toml:"match"` // detector name -> regular expression
	Mem    []string          `toml:"mem"`   // extra capture ranges, "ADDR:SIZE" as --mem
}

// loadConfig reads faultline.toml if present; a missing file is no error.
func loadConfig(path string) (fileConfig, error) {
	var cfg fileConfig
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read %s: %w", path, err)
	}
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		return cfg, fmt.Errorf("parse %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return cfg, fmt.Errorf("%s: unknown key %q (known: elf, gdb, serial, board, dir, match, mem)", path, und[0].String())
	}
	return cfg, nil
}

// applyConfig fills flags the user did not set from faultline.toml.
func applyConfig(cmd *cobra.Command) error {
	cfg, err := loadConfig(configFile)
	if err != nil {
		return withExit(exitUsage, err)
	}
	set := func(name, val string) error {
		f := cmd.Flags().Lookup(name)
		if f == nil || f.Changed || val == "" {
			return nil
		}
		return f.Value.Set(val)
	}
	for name, val := range map[string]string{"elf": cfg.ELF, "gdb": cfg.GDB, "serial": cfg.Serial, "board": cfg.Board, "dir": cfg.Dir} {
		if err := set(name, val); err != nil {
			return withExit(exitUsage, fmt.Errorf("%s: %s: %w", configFile, name, err))
		}
	}
	if f := cmd.Flags().Lookup("mem"); f != nil && !f.Changed {
		for _, m := range cfg.Mem {
			if _, err := probe.ParseMemRange(m); err != nil {
				return withExit(exitUsage, fmt.Errorf("%s: mem: %w", configFile, err))
			}
			if err := f.Value.Set(m); err != nil {
				return withExit(exitUsage, fmt.Errorf("%s: mem %q: %w", configFile, m, err))
			}
		}
	}
	if f := cmd.Flags().Lookup("match"); f != nil && !f.Changed {
		for name, re := range cfg.Match {
			if err := f.Value.Set(name + "=" + re); err != nil {
				return withExit(exitUsage, fmt.Errorf("%s: match %s: %w", configFile, name, err))
			}
		}
	}
	return nil
}
