// Package tui is faultline's interactive terminal UI (`faultline attach`,
// `faultline demo`): a status bar (target state, GDB endpoint, serial
// port, ELF match, the status LED as a colour swatch with its decoded
// pattern), the serial console, the event timeline and, once a crash
// arrives, the crash view (cause in words, findings, frames with their
// source, registers).
//
// It only renders what the live session sends and asks the session to act
// through the Backend interface; it must not import probe (the session
// imports nothing of the TUI either: the caller wires the two together).
//
// Quirks it handles:
//   - Every Backend call runs inside a tea.Cmd with a timeout, and what the
//     command needs is copied into its closure in Update, so a slow probe
//     never freezes the screen and a command never races the model.
//   - The console keeps 100,000 lines in a ring and draws only the visible
//     rows (bubbles/viewport re-splits its whole content on every change).
//   - Styles come from one lipgloss renderer per session (Options.Renderer
//     or one made for Options.Output), never the global one, so colours
//     follow the session's own terminal, e.g. over ssh, and tests can pin
//     the ASCII profile; no adaptive colours, which would query the
//     terminal's background.
//   - Device text is sanitized: escape sequences and control characters
//     from the serial port cannot move the cursor or repaint the screen.
//   - Every frame is cut to the terminal's width and height, so a resize
//     never makes the terminal wrap or scroll.
//   - Quitting with an unsaved crash asks first.
package tui
