package elfsym_test

import (
	"context"
	"sync"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// memCache is an IndexCache in memory whose saved bytes a test can damage.
type memCache struct {
	mu   sync.Mutex
	data map[elfsym.IndexKey][]byte
}

func (c *memCache) Load(k elfsym.IndexKey) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.data[k], nil
}

func (c *memCache) Store(k elfsym.IndexKey, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[k] = append([]byte(nil), b...)
	return nil
}

// A saved index is checked as it is decoded: whatever a cache hands back
// (cut anywhere, bytes changed), Open neither panics nor uses a damaged
// index, and answers as if there were no cache.
func TestDamagedSavedIndexIsRebuilt(t *testing.T) {
	elf, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := &memCache{data: map[elfsym.IndexKey][]byte{}}
	plain, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	want := framesText(plain)
	im, err := elfsym.OpenWith(elf, elfsym.Options{Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	im.Close()
	if len(c.data) != 1 {
		t.Fatalf("%d indexes stored, want 1", len(c.data))
	}
	var k elfsym.IndexKey
	var good []byte
	for k, good = range c.data {
	}
	if k.SHA256 != plain.SHA256() || k.BuildID != plain.BuildID() || k.Version != elfsym.IndexVersion {
		t.Fatalf("stored under %+v", k)
	}
	check := func(t *testing.T, bad []byte, mustReject bool) {
		t.Helper()
		c.Store(k, bad)
		im, err := elfsym.OpenWith(elf, elfsym.Options{Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		if mustReject && im.FromCache() {
			t.Fatalf("a damaged index (%d of %d bytes) was used", len(bad), len(good))
		}
		if !im.FromCache() && framesText(im) != want {
			t.Fatal("answers after rebuilding differ")
		}
	}
	for n := 0; n < len(good); n += 1 + len(good)/97 {
		check(t, good[:n], true)
	}
	// A changed byte may still decode (a changed line number is a valid
	// index); the on-disk cache's checksum catches that. Here it must only
	// never panic or hang.
	for i := 0; i < len(good); i += 1 + len(good)/61 {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0xff
		check(t, bad, false)
	}
	c.Store(k, good)
	im, err = elfsym.OpenWith(elf, elfsym.Options{Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if !im.FromCache() || framesText(im) != want {
		t.Fatal("the intact index was not used, or answers differently")
	}
}

// framesText is the frames at every halfword of code, for comparing images.
func framesText(im *elfsym.Image) string {
	var b []byte
	for _, a := range testAddrs(im) {
		for _, f := range im.Frames(a) {
			b = append(b, f.Function...)
			b = append(b, f.File...)
			b = append(b, byte(f.Line), byte(f.Line>>8), byte(f.Entry))
		}
		b = append(b, '\n')
	}
	return string(b)
}
