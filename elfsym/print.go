package elfsym

import "fmt"

// Print evaluates expr (a global, or a member, element or pointee of one:
// "servers->server->clients[1]") against mem and formats it as gdb's
// print would: "expr = (type) value", pointers named by the data they
// point into.
func (im *Image) Print(mem MemReader, expr string) (string, error) {
	addr, t, err := im.Eval(mem, expr)
	if err != nil {
		return "", err
	}
	val := im.FormatValue(mem, addr, t, FormatOptions{Name: func(a uint64) string {
		p, _, _ := im.DataAt(a)
		return p
	}})
	return fmt.Sprintf("%s = (%s) %s", expr, t, val), nil
}
