package firmware

import (
	"github.com/faultline-dev/faultline/firmware/internal/armbuild"

	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// Variants lists the images the Makefile builds, in the order of the story:
// the bug, the first fix, the full fix.
func Variants() []string {
	return []string{"webserver", "webserver-clients-fix", "webserver-fixed"}
}

// DirEnv names an environment variable that overrides where the firmware
// sources are (a faultline binary run away from its source tree).
const DirEnv = "FAULTLINE_FIRMWARE_DIR"

// Dir returns the firmware source directory: $FAULTLINE_FIRMWARE_DIR, or
// the directory this file was compiled from.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("firmware: cannot find the source directory (set " + DirEnv + ")")
	}
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
		return "", fmt.Errorf("firmware: no Makefile in %s (set %s): %w", dir, DirEnv, err)
	}
	return dir, nil
}

// builder is the once-per-process make. A failed build is retried by the
// next caller (a cancelled context is not a reason to fail every later test).
var builder = &armbuild.Builder{}

// ELF builds the firmware if needed and returns the path of the variant's
// ELF, e.g. ELF(ctx, "webserver").
func ELF(ctx context.Context, variant string) (string, error) {
	if !slices.Contains(Variants(), variant) {
		return "", fmt.Errorf("firmware: unknown variant %q (known: %v)", variant, Variants())
	}
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	if err := builder.Build(ctx, dir, "firmware"); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "build", variant+".elf")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("firmware: %s not built: %w", variant, err)
	}
	return path, nil
}
