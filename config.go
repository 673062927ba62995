package main

import (
	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/config"
)

// applyConfig fills flags the user did not set from faultline.toml in the
// working directory; a bad file is a usage error.
func applyConfig(cmd *cobra.Command) error {
	cfg, err := config.Load(config.FileName)
	if err == nil {
		err = cfg.Apply(cmd.Flags())
	}
	if err != nil {
		return withExit(exitUsage, err)
	}
	return nil
}
