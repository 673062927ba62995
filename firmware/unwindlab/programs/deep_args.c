/* deep_args: a calculator's recursive descent parser. A line nested 12
 * parentheses deep recurses expr -> term -> factor 13 times (39 frames of
 * the parser, 41 with the number's node); each node is made by node_new,
 * which takes six arguments, so the last two are passed on the caller's
 * stack, between the frames. The node arena is used before parser_init set
 * it up: it still points at the address a debugger's "uninitialised"
 * pattern gives it, where nothing is mapped: HardFault FORCED PRECISERR
 * (BusFault not enabled), BFAR 0x60000100, in node_new at the bottom of
 * the recursion. */
#include "cmsis_lite.h"
#include "board.h"

struct node {
	int kind, value;
	struct node *lhs, *rhs;
	uint16_t line, col;
};

enum { NUM, ADD, MUL };

static struct node arena_store[64];
static struct node *arena = (struct node *)0x60000100; /* parser_init never ran */
static unsigned arena_used;

struct parser {
	const char *s;
	unsigned pos, line, depth, max_depth, max_col;
};

__attribute__((noinline)) struct node *node_new(int kind, int value, struct node *lhs,
						 struct node *rhs, unsigned line, unsigned col)
{
	struct node *n = &arena[arena_used++ % 64];
	n->kind = kind;
	n->value = value;
	n->lhs = lhs;
	n->rhs = rhs;
	n->line = (uint16_t)line;
	n->col = (uint16_t)col;
	return n;
}

__attribute__((noinline)) void parser_init(void)
{
	arena = arena_store;
	arena_used = 0;
}

static struct node *parse_expr(struct parser *p);

__attribute__((noinline)) static struct node *parse_factor(struct parser *p)
{
	struct node *n;
	if (p->s[p->pos] == '(') {
		p->pos++;
		if (++p->depth > p->max_depth)
			p->max_depth = p->depth;
		n = parse_expr(p);
		p->depth--;
		if (p->s[p->pos] == ')')
			p->pos++;
		return n;
	}
	int v = 0;
	unsigned col = p->pos;
	while (p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		v = v * 10 + (p->s[p->pos++] - '0');
	n = node_new(NUM, v, 0, 0, p->line, col);
	if (n->col > p->max_col)
		p->max_col = n->col;
	return n;
}

__attribute__((noinline)) static struct node *parse_term(struct parser *p)
{
	struct node *n = parse_factor(p);
	while (p->s[p->pos] == '*') {
		unsigned col = p->pos++;
		n = node_new(MUL, 0, n, parse_factor(p), p->line, col);
	}
	return n;
}

__attribute__((noinline)) static struct node *parse_expr(struct parser *p)
{
	struct node *n = parse_term(p);
	while (p->s[p->pos] == '+') {
		unsigned col = p->pos++;
		n = node_new(ADD, 0, n, parse_term(p), p->line, col);
	}
	return n;
}

__attribute__((noinline)) int calc_line(const char *text, unsigned line)
{
	struct parser p = {text, 0, line, 0, 0, 0};
	struct node *root = parse_expr(&p);
	return root->kind + (int)p.max_depth;
}

int main(void)
{
	const char *text = "((((((((((((7))))))))))))+1";
	OPAQUE(text);
	return calc_line(text, 1);
}
