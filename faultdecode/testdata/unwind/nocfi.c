/* Built with -g0: no .debug_frame, so the unwinder must read the prologue
 * (or, where it has no answer, scan the stack). */
int c(int x);
volatile int nocfi_sink;

__attribute__((noinline)) void nocfi_mid(int x)
{
	nocfi_sink = c(x + 10);
}
