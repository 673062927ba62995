package tui

import (
	"context"
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Run shows the TUI until the user quits or ctx is done, and returns nil
// in both cases; other failures (the terminal could not be set up) come
// back wrapped.
//
// updates carries values of these types, or pointers to them: Status,
// ConsoleLine, []ConsoleLine, TimelineItem, Crash. Anything else is
// ignored. Updates are drained in batches, so a flood of console lines
// costs few screen updates. When updates is closed the view stays until
// the user quits; b's methods are called only from commands, each with a
// timeout (Options.Timeout, Options.SaveTimeout) under ctx. b may be nil
// for a view-only session.
func Run(ctx context.Context, b Backend, updates <-chan any, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the updates reader and any backend call still running
	if opts.Output == nil {
		// Ask the terminal for its background colour before the Program
		// owns it: the help bar's adaptive colours would otherwise ask
		// mid-session, and the answer would be read as keys. Upstream
		// bubbletea does this in an init, for every command of the
		// binary; our fork (third_party/bubbletea) leaves it to here.
		_ = lipgloss.HasDarkBackground()
	}
	m := newModel(ctx, b, updates, opts)
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	if opts.AltScreen {
		popts = append(popts, tea.WithAltScreen())
	}
	if opts.Mouse {
		popts = append(popts, tea.WithMouseCellMotion())
	}
	_, err := tea.NewProgram(m, popts...).Run()
	if err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}
