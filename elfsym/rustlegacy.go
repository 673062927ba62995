package elfsym

import (
	"strconv"
	"strings"
)

// demangleRustLegacy demangles a legacy Rust symbol name
// (_ZN<len><ident>...17h<16 hex>E, optionally followed by a ".llvm.N"
// style suffix) as rustc-demangle's alternate form (rustfilt) prints it:
// path components joined by "::", escapes decoded, the hash left out.
//
// ianlancetaylor/demangle reads a '_' after a component's length as a
// separator (a v0 rule), which turns __cortex_m_rt_main into
// _cortex_m_rt_main; legacy names have no separator, so they are read
// here, following rustc-demangle's legacy.rs.
func demangleRustLegacy(raw string) (string, bool) {
	if !strings.HasPrefix(raw, "_ZN") {
		return "", false
	}
	s := raw[len("_ZN"):]
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i] // ".llvm.1234", ".cold": not part of the path
	}
	var parts []string
	for len(s) > 0 && s[0] != 'E' {
		j := 0
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(s[:j])
		if j == 0 || err != nil || n == 0 || n > len(s)-j {
			return "", false
		}
		parts = append(parts, s[j:j+n])
		s = s[j+n:]
	}
	if s != "E" || len(parts) < 2 || !isRustHash(parts[len(parts)-1]) {
		return "", false
	}
	parts = parts[:len(parts)-1]
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString("::")
		}
		if !unescapeRustLegacy(&b, p) {
			return "", false
		}
	}
	return b.String(), true
}

// isRustHash reports "h" and 16 lower-case hex digits.
func isRustHash(p string) bool {
	if len(p) != 17 || p[0] != 'h' {
		return false
	}
	for _, c := range p[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// rustLegacyEscape decodes a legacy-mangling $code$ escape other than $uXX$
// (a switch: a map literal is built by package init, in every command's
// start).
func rustLegacyEscape(code string) (string, bool) {
	switch code {
	case "SP":
		return "@", true
	case "BP":
		return "*", true
	case "RF":
		return "&", true
	case "LT":
		return "<", true
	case "GT":
		return ">", true
	case "LP":
		return "(", true
	case "RP":
		return ")", true
	case "C":
		return ",", true
	}
	return "", false
}

// unescapeRustLegacy writes one path component with its $..$ escapes and
// ".." (a "::" inside a component, e.g. in <impl Trait for T>) decoded.
func unescapeRustLegacy(b *strings.Builder, p string) bool {
	if strings.HasPrefix(p, "_$") {
		p = p[1:] // an identifier cannot start with '$'; rustc prefixes '_'
	}
	for len(p) > 0 {
		switch {
		case p[0] == '$':
			end := strings.IndexByte(p[1:], '$')
			if end < 0 {
				return false
			}
			code := p[1 : 1+end]
			p = p[2+end:]
			if r, ok := rustLegacyEscape(code); ok {
				b.WriteString(r)
				continue
			}
			if !strings.HasPrefix(code, "u") {
				return false
			}
			v, err := strconv.ParseUint(code[1:], 16, 32)
			if err != nil {
				return false
			}
			b.WriteRune(rune(v))
		case strings.HasPrefix(p, ".."):
			b.WriteString("::")
			p = p[2:]
		default:
			b.WriteByte(p[0])
			p = p[1:]
		}
	}
	return true
}
