package report

import "testing"

func TestBareFunctionDropsTheParameterList(t *testing.T) {
	tests := []struct{ in, want string }{
		{"net::Server::poll()", "net::Server::poll"},
		{"parse(char const*)", "parse"},
		{"__assert_func", "__assert_func"},
		{"(anonymous namespace)::f()", "(anonymous namespace)::f()"}, // a leading '(' is a name, not a list
		{"", ""},
	}
	for _, tc := range tests {
		if got := BareFunction(tc.in); got != tc.want {
			t.Errorf("BareFunction(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
