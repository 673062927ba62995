package lazyre

import (
	"strings"
	"sync"
	"testing"
)

func TestRegexpMatchesAsRegexpDoes(t *testing.T) {
	re := New(`0[xX]([0-9a-fA-F]+)`)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"MatchString", re.MatchString("pc 0x8000"), true},
		{"MatchString none", re.MatchString("pc 8000"), false},
		{"FindStringSubmatch", strings.Join(re.FindStringSubmatch("at 0x1f here"), ","), "0x1f,1f"},
		{"FindAllString", strings.Join(re.FindAllString("0x1 0x2 3", -1), ","), "0x1,0x2"},
		{"FindAllStringIndex", len(re.FindAllStringIndex("0x1 0x2", -1)), 2},
		{"FindAllStringSubmatch", re.FindAllStringSubmatch("0xa 0xb", -1)[1][1], "b"},
		{"ReplaceAllString", re.ReplaceAllString("f 0x10 g", "#"), "f # g"},
		{"String", re.String(), `0[xX]([0-9a-fA-F]+)`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestNewDoesNotCompile(t *testing.T) {
	// A bad expression is only found when used, so New must not compile.
	re := New(`(`)
	if re.re != nil || re.err != nil {
		t.Fatal("New compiled the expression")
	}
	defer func() {
		if recover() == nil {
			t.Error("Get of a bad expression did not panic")
		}
	}()
	re.Get()
}

func TestCompileAllNamesBadExpressions(t *testing.T) {
	New(`[unclosed`)
	err := CompileAll()
	if err == nil || !strings.Contains(err.Error(), `"[unclosed"`) {
		t.Fatalf("CompileAll = %v, want an error naming [unclosed", err)
	}
}

func TestConcurrentFirstUseCompilesOnce(t *testing.T) {
	re := New(`a+b`)
	var wg sync.WaitGroup
	got := make(chan any, 8)
	for range 8 {
		wg.Go(func() { got <- re.Get() })
	}
	wg.Wait()
	close(got)
	first := <-got
	for g := range got {
		if g != first {
			t.Fatal("concurrent first uses compiled more than once")
		}
	}
}
