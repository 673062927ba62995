package elfsymtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// PrivateUserCache points XDG_CACHE_HOME at dir for this process and the
// processes it starts, so that faultline's per-user index cache (and
// anything else under os.UserCacheDir) lands in a directory the test run
// owns rather than the user's ~/.cache: a day of suite runs left thousands
// of index files there. Go's build cache and CacheDir's generated firmware
// (minutes to build) are pinned where they were, since both are found
// through XDG_CACHE_HOME too.
func PrivateUserCache(dir string) error {
	old, err := os.UserCacheDir()
	if err == nil {
		if os.Getenv("GOCACHE") == "" {
			os.Setenv("GOCACHE", filepath.Join(old, "go-build")) // cmd/go's own default
		}
		if os.Getenv(CacheEnv) == "" {
			os.Setenv(CacheEnv, filepath.Join(old, "faultline-test", "elfsym"))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("private user cache: %w", err)
	}
	return os.Setenv("XDG_CACHE_HOME", dir)
}

// MainWithPrivateUserCache is a TestMain body: it runs m with a private
// user cache (PrivateUserCache in a temporary directory), removes it and
// exits with m's code.
func MainWithPrivateUserCache(m *testing.M) {
	dir, err := os.MkdirTemp("", "faultline-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := PrivateUserCache(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
